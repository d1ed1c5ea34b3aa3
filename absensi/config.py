"""Where things live and which settings are in force (flag > environment > default)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Jakarta"


def state_dir() -> Path:
    """Local state (embedded database, generated demo data); never committed."""
    return Path(os.environ.get("ABSENSI_HOME", PROJECT_ROOT / ".absensi")).resolve()


def regency_timezone() -> str:
    return os.environ.get("ABSENSI_TIMEZONE", DEFAULT_TIMEZONE)


def env_seconds(name: str, default: float) -> float:
    """A duration in seconds from environment variable `name` (unset or blank: `default`)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        from absensi.errors import UserError

        raise UserError(f"{name}={raw!r} bukan angka detik") from exc
