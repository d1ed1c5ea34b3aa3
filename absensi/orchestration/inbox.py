"""The reference inbox: CSV exports dropped into `ABSENSI_INBOX` are loaded once each.

A file's kind comes from its name (`opd*.csv`, `devices*.csv`, `employees*.csv`, `pins*.csv`,
`leave*.csv`, `koreksi*.csv`, or their Indonesian names). Files are loaded in dependency order (OPDs
before devices and employees, employees before pins, leave and corrections). A file whose exact content was already loaded
(same SHA-256 in an `ok` batch of `raw.ingest_batch`) is not loaded again. Afterwards each file is
moved to `processed/` or, with an `.error.txt` report beside it, to `rejected/`: every refused file,
whatever broke it, so one bad file never blocks the files after it (only a lost connection leaves a
file in place for the next run).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from ingest.reference import LOAD_ORDER
from warehouse import db
from warehouse.errors import UserError
from warehouse.settings import ENV_INBOX

PROCESSED = "processed"
REJECTED = "rejected"

KIND_PREFIXES: dict[str, tuple[str, ...]] = {
    "opd": ("opd", "unit_kerja"),
    "devices": ("devices", "device", "mesin", "perangkat"),
    "employees": ("employees", "employee", "pegawai"),
    "pins": ("pins", "pin", "employee_pins"),
    "leave": ("leave", "cuti", "izin"),
    "koreksi": ("koreksi", "moderasi", "corrections"),
    "kinerja": ("kinerja", "ekinerja", "e_kinerja"),
    "roster": ("roster", "jadwal_dinas", "jadwal_shift"),
}


def kind_of(path: Path) -> str | None:
    """The reference kind a file name announces, or None when it names none."""
    stem = path.name.lower()
    best: tuple[int, str] | None = None
    for kind, prefixes in KIND_PREFIXES.items():
        for prefix in prefixes:
            # the longest matching prefix wins, so `employee_pins.csv` is pins, not employees
            if stem.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), kind)
    return best[1] if best else None


def pending_files(inbox: Path) -> list[Path]:
    """CSV files waiting in the inbox, in load order (kind, then name)."""
    if not inbox.is_dir():
        raise UserError(f"folder kotak masuk {inbox} tidak ada (atur {ENV_INBOX})")
    files = [p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() == ".csv"]

    def order(path: Path) -> tuple[int, str]:
        kind = kind_of(path)
        return (LOAD_ORDER.index(kind) if kind else len(LOAD_ORDER), path.name)

    return sorted(files, key=order)


@dataclass(frozen=True)
class InboxOutcome:
    file: str
    kind: str | None
    status: str  # loaded | duplicate | rejected
    batch_id: int | None
    rows: int
    moved_to: str
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _loaded_batch(conn, sha256: str) -> int | None:
    row = conn.execute(
        """select batch_id from raw.ingest_batch
           where content_sha256 = %s and status = 'ok' and kind = any(%s)
           order by batch_id limit 1""",
        (sha256, list(LOAD_ORDER)),
    ).fetchone()
    return row[0] if row else None


def _move(path: Path, folder: Path) -> Path:
    """Move without overwriting an earlier file of the same name (suffix a timestamp)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(str(path), target)
    return target


def process_file(conn, path: Path, inbox: Path) -> InboxOutcome:
    """Load one inbox file (or recognise it as already loaded) and move it out of the inbox."""
    from ingest.reference import load_reference_file

    kind = kind_of(path)
    sha256 = _sha256(path)
    if kind is None:
        names = ", ".join(f"{k}*.csv" for k in LOAD_ORDER)
        return _reject(
            path, inbox, None, f"{path.name}: jenis berkas tidak dikenali dari namanya (pakai {names})"
        )
    earlier = _loaded_batch(conn, sha256)
    if earlier is not None:
        moved = _move(path, inbox / PROCESSED)
        return InboxOutcome(path.name, kind, "duplicate", earlier, 0, str(moved))
    try:
        result = load_reference_file(conn, kind, path)
    except UserError as exc:
        return _reject(path, inbox, kind, str(exc))
    except (psycopg.OperationalError, psycopg.InterfaceError):
        raise  # the warehouse went away, not the file's fault: it stays and loads on the next run
    except Exception as exc:  # noqa: BLE001 - a file that breaks the loader must not block the inbox
        return _reject(path, inbox, kind, f"{path.name}: tidak dapat dimuat ({type(exc).__name__}: {exc})")
    moved = _move(path, inbox / PROCESSED)
    return InboxOutcome(path.name, kind, "loaded", result.batch_id, result.rows, str(moved))


def _reject(path: Path, inbox: Path, kind: str | None, error: str) -> InboxOutcome:
    moved = _move(path, inbox / REJECTED)
    report = moved.with_name(moved.name + ".error.txt")
    report.write_text(
        f"berkas: {path.name}\njenis: {kind or '-'}\nditolak: {datetime.now().astimezone().isoformat()}\n\n{error}\n",
        encoding="utf-8",
    )
    return InboxOutcome(
        path.name, kind, "rejected", None, 0, str(moved), error.splitlines()[-1] if error else None
    )


def process_inbox(url: str, inbox: Path, names: list[str] | None = None) -> list[InboxOutcome]:
    """Process the pending files (only `names` when given) in order; one bad file does not stop
    the others."""
    files = [p for p in pending_files(inbox) if names is None or p.name in names]
    outcomes: list[InboxOutcome] = []
    if not files:
        return outcomes
    with db.connect(url, autocommit=True) as conn:
        for path in files:
            outcomes.append(process_file(conn, path, inbox))
    return outcomes


def raise_for_rejections(outcomes: list[dict]) -> dict:
    """Counts per status; raises UserError naming every refused file and its report."""
    counts = {"loaded": 0, "duplicate": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome["status"]] = counts.get(outcome["status"], 0) + 1
    rejected = [o for o in outcomes if o["status"] == "rejected"]
    if rejected:
        listed = "; ".join(f"{o['file']} ({o['error']}) → {o['moved_to']}.error.txt" for o in rejected)
        raise UserError(f"{len(rejected)} berkas referensi ditolak: {listed}")
    return counts
