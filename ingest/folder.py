"""Load a whole regency folder as `absensi generate` writes it (and as a regency's first export looks):
reference files in dependency order, then every device's USB attlog."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ingest.reference import LOAD_ORDER, LoadResult, load_reference_file
from warehouse.errors import UserError

ATTLOG_SUFFIX = "_attlog.dat"


@dataclass
class FolderLoad:
    references: list[LoadResult] = field(default_factory=list)
    attlog_batches: int = 0
    punches_read: int = 0
    punches_new: int = 0


def load_generated_regency(
    conn: psycopg.Connection, folder: Path | str, *, attlogs: bool = True
) -> FolderLoad:
    """Load the reference CSVs present in `folder` (`<kind>.csv`, in LOAD_ORDER) and, unless
    `attlogs` is False, every `attlog/<SN>_attlog.dat`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: folder tidak ditemukan")
    result = FolderLoad()
    for kind in LOAD_ORDER:
        if (folder / f"{kind}.csv").is_file():
            result.references.append(load_reference_file(conn, kind, folder / f"{kind}.csv"))
    if attlogs:
        from ingest.usb import import_attlog, parse_exported_at

        # When each file was copied off its device (regency.json `exported_at`, {serial: device
        # clock}): without it a file proves its device's log only up to its last punch.
        exported: dict[str, object] = {}
        meta_path = folder / "regency.json"
        if meta_path.is_file():
            exported = json.loads(meta_path.read_text(encoding="utf-8")).get("exported_at") or {}
        for path in sorted((folder / "attlog").glob(f"*{ATTLOG_SUFFIX}")):
            serial = path.name.removesuffix(ATTLOG_SUFFIX)
            stamp = exported.get(serial) if isinstance(exported, dict) else None
            exported_at = (
                parse_exported_at(str(stamp), where=f"{meta_path}: exported_at {serial}") if stamp else None
            )
            batch = import_attlog(conn, path, serial, exported_at=exported_at)
            result.attlog_batches += 1
            result.punches_read += batch.records_read
            result.punches_new += batch.records_new
    return result
