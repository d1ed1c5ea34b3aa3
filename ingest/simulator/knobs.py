"""Fault settings of a simulated device (ZK or push), written as a dataclass of knobs and given as
text on the command line: `offline`, `latency=0.5,drop_chunk=1` (a bare name turns a switch on)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

K = TypeVar("K")


def parse_knobs(cls: type[K], spec: str | dict | K | None, what: str = "gangguan") -> K:
    """`cls` itself, a dict of its fields, or text like 'offline' / 'latency=0.2,drop_chunk=1'."""
    if spec is None:
        return cls()
    if isinstance(spec, cls):
        return spec
    if isinstance(spec, dict):
        return cls(**spec)
    defaults = cls()
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in str(spec).split(","))):
        name, _, raw = part.partition("=")
        name = name.strip().replace("-", "_")
        if name not in known:
            raise ValueError(f"{what} tidak dikenal: {name!r} (pilih dari {', '.join(sorted(known))})")
        kind = type(getattr(defaults, name))
        raw = raw.strip()
        if kind is bool:
            values[name] = raw.lower() not in ("0", "false", "no", "tidak")  # bare name = on
            continue
        try:
            values[name] = kind(raw)
        except ValueError:
            raise ValueError(f"{what} {name} perlu angka, mis. {name}=1") from None
    return cls(**values)
