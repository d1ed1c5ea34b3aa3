"""USB attlog import: `*_attlog.dat` files copied off a device onto a flash drive.

Format (DESIGN §5): tab-separated `PIN`, `YYYY-MM-DD HH:MM:SS`, verify, state, work code, reserved…
Devices right-align the PIN with spaces. A file with any malformed line is refused whole, naming
every bad line as `FILE:LINE: problem`; a good file is one batch, idempotent on the natural key.

The serial is checked before anything is stored: the device must be registered (`absensi load
devices`), and a file whose name names another serial (`<SN>_attlog.dat`) is refused unless the
operator says `force_serial` (then the batch row records the serial the name named).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import psycopg

from ingest.raw_loader import (
    BatchResult,
    DeviceSnapshot,
    punch_copy_lines,
    record_failed_batch,
    utcnow,
    write_punch_batch,
)
from ingest.registry import registered_serials
from warehouse.errors import UserError

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_MAX_PIN_CHARS = 24  # the widest user_id a ZK device stores (72-byte user record)


class AttlogError(UserError):
    """A malformed attlog file; `problems` lists every `FILE:LINE: problem`."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        # Bad lines first, the summary last: the CLI prints the last line as the error itself.
        summary = f"{path}: berkas attlog ditolak seluruhnya, {len(problems)} baris rusak"
        super().__init__("\n".join([*problems, summary]))


AttlogRecord = tuple[
    str, str, int | None, int | None, int | None
]  # pin, 'YYYY-MM-DD HH:MM:SS', verify, state, work code


def read_attlog(path: Path) -> list[AttlogRecord]:
    """Every punch of an attlog file, in file order; raises AttlogError naming every bad line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: berkas tidak dapat dibaca ({exc.strerror or exc})") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    records: list[AttlogRecord] = []
    problems: list[str] = []
    for line_no, raw_line in enumerate(data.split(b"\n"), start=1):
        raw_line = raw_line.rstrip(b"\r")
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}:{line_no}: bukan teks UTF-8")
            continue
        problem, record = _parse_line(line)
        if problem:
            problems.append(f"{path}:{line_no}: {problem}")
        else:
            records.append(record)
    if problems:
        raise AttlogError(path, problems)
    return records


def parse_attlog(path: Path) -> tuple[bytes, int]:
    """COPY text of every punch in the file and the record count; raises AttlogError on any bad line."""
    records = read_attlog(path)
    return punch_copy_lines(records), len(records)


def _parse_line(line: str) -> tuple[str | None, AttlogRecord]:
    return parse_punch_line(line, USB_FIELDS)


# The three number columns after PIN and time, in the order a source writes them. USB attlog files:
# verify, state, work code. ADMS pushes (ingest.adms): state ("status"), verify, work code.
USB_FIELDS = ("verify", "state", "work code")


def parse_punch_line(line: str, fields: tuple[str, str, str]) -> tuple[str | None, AttlogRecord]:
    """(problem, record) of one tab-separated punch line `PIN, YYYY-MM-DD HH:MM:SS, n, n, n, …`
    whose number columns are named by `fields` (any order of verify/state/work code; blank = null).
    The record is always (pin, time, verify, state, work code); `problem` (Indonesian) when bad."""
    parts = line.split("\t")
    if len(parts) < 2:
        return "kurang kolom: perlu PIN<TAB>YYYY-MM-DD HH:MM:SS", _NO_RECORD
    pin = parts[0].strip()
    if not pin:
        return "PIN kosong", _NO_RECORD
    if len(pin) > _MAX_PIN_CHARS or not pin.isprintable() or " " in pin:
        return f"PIN {pin[:40]!r} tidak sah", _NO_RECORD
    stamp = parts[1].strip()
    try:
        # Shape first, then the C parser (strptime is ten times slower on 100,000-line files).
        if len(stamp) != 19 or stamp[10] != " " or stamp[4] + stamp[7] + stamp[13] + stamp[16] != "--::":
            raise ValueError
        datetime.fromisoformat(stamp)
    except ValueError:
        return f"waktu {stamp[:40]!r} bukan YYYY-MM-DD HH:MM:SS", _NO_RECORD
    numbers: dict[str, int | None] = dict.fromkeys(fields)
    for name, value in zip(fields, parts[2:5], strict=False):
        value = value.strip()
        if value == "":
            continue
        try:
            number = int(value)
        except ValueError:
            return f"kolom {name} {value[:40]!r} bukan bilangan bulat", _NO_RECORD
        if not _INT_MIN <= number <= _INT_MAX:
            return f"kolom {name} {value[:40]!r} di luar jangkauan", _NO_RECORD
        numbers[name] = number
    return None, (pin, stamp, numbers["verify"], numbers["state"], numbers["work code"])


_NO_RECORD: AttlogRecord = ("", "", None, None, None)


_SERIAL_LIKE = re.compile(r"(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]{6,}")


def parse_exported_at(text: str, *, where: str = "--exported-at") -> datetime:
    """`YYYY-MM-DD HH:MM[:SS]` (the device's local clock) or a UserError naming the option."""
    value = (text or "").strip()
    try:
        if len(value) not in (16, 19) or value[10] not in " T":
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{where} {value[:40]!r} bukan waktu YYYY-MM-DD HH:MM (jam mesin saat berkas diunduh dari mesin)"
        ) from None
    if parsed.tzinfo is not None:
        raise UserError(f"{where} {value[:40]!r}: tulis jam mesin tanpa zona waktu (YYYY-MM-DD HH:MM)")
    return parsed


def serial_in_file_name(path: Path) -> str | None:
    """The serial a file name `<SN>_attlog.dat` names (None for other names)."""
    name = path.name
    if not name.lower().endswith("_attlog.dat"):
        return None
    return name[: -len("_attlog.dat")].strip() or None


def check_serial(conn: psycopg.Connection, path: Path, device_sn: str, *, force_serial: bool) -> str | None:
    """UserError unless `device_sn` is registered and the file's name does not name another serial
    (or `force_serial`); returns the serial the name named when it is overridden."""
    known = registered_serials(conn)
    if device_sn not in known:
        close = sorted(
            sn for sn in known if "".join(sn.split()).lower() == "".join(device_sn.split()).lower()
        )
        hint = f" (maksud Anda {close[0]!r}?)" if close else ""
        raise UserError(
            f"{path}: mesin {device_sn!r} belum terdaftar{hint}; tambahkan ke devices.csv dan muat dengan "
            "`absensi load devices devices.csv`, lalu impor lagi"
        )
    named = serial_in_file_name(path)
    if named is None or named == device_sn:
        return None
    if named not in known and not _SERIAL_LIKE.fullmatch(named):
        return None  # `1_attlog.dat` (a machine number) names no serial
    if not force_serial:
        where = "mesin terdaftar" if named in known else "nomor seri"
        raise UserError(
            f"{path}: nama berkas menyebut {where} {named!r}, bukan {device_sn!r}; impor dengan --device {named} "
            f"atau, bila berkas memang dari {device_sn}, tambahkan --force-serial (dicatat di batch)"
        )
    return named


def import_attlog(
    conn: psycopg.Connection,
    path: str | Path,
    device_sn: str,
    *,
    force_serial: bool = False,
    exported_at: datetime | None = None,
) -> BatchResult:
    """Load one attlog file for `device_sn` as one `usb` batch (committed); re-importing adds 0 rows.

    `exported_at` is when the file was copied off the device, in the device's clock (naive local):
    the batch's device_time, so the warehouse knows the device's log up to then (issue 13). Without
    it the file proves the log only up to its last punch.

    The serial is checked first (`check_serial`: UserError, nothing stored). A malformed file is
    recorded as a failed batch and refused with AttlogError (a UserError).
    """
    path = Path(path)
    device_sn = (device_sn or "").strip()
    if not device_sn:
        raise UserError(f"{path}: nomor seri mesin (--device) wajib diisi")
    forced_serial = check_serial(conn, path, device_sn, force_serial=force_serial)
    started_at = utcnow()
    source_file = str(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    try:
        punch_copy, count = parse_attlog(path)
    except AttlogError as exc:
        record_failed_batch(
            conn,
            kind="usb",
            device_sn=device_sn,
            started_at=started_at,
            error=str(exc),
            source_file=source_file,
            content_sha256=sha,
        )
        raise
    snapshot = DeviceSnapshot(punch_copy=punch_copy, records_read=count, device_time=exported_at)
    try:
        result = write_punch_batch(
            conn,
            kind="usb",
            source="usb",
            device_sn=device_sn,
            started_at=started_at,
            snapshot=snapshot,
            source_file=source_file,
            content_sha256=sha,
            forced_serial=forced_serial,
        )
    except psycopg.Error as exc:
        record_failed_batch(
            conn,
            kind="usb",
            device_sn=device_sn,
            started_at=started_at,
            error=f"{type(exc).__name__}: {exc}",
            records_read=count,
            source_file=source_file,
            content_sha256=sha,
        )
        raise UserError(f"{path}: gagal dimuat ke database: {str(exc).strip().splitlines()[0]}") from exc
    if forced_serial:
        result.extra["forced_serial"] = forced_serial
    return result
