"""Reference exports (SIMPEG / e-kinerja / device registry CSVs) into `raw`, one versioned batch per file.

A file is checked whole before anything is written: every bad row is reported as
`FILE:ROW: column: problem` and nothing from that file is stored. A good file is written in one
transaction (batch row + COPY of its rows), so a crash leaves no partial batch.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from ingest.generator.rules import Rules, load_rules  # the seeds' calendar, as dbt reads it
from ingest.nip import validate_nip
from ingest.registry import PULL_PROTOCOLS
from warehouse import db
from warehouse.errors import UserError
from warehouse.seeds import read_seed
from warehouse.settings import ADMS_TOKEN_PREFIX, COMMKEY_PREFIX

JENIS_PEGAWAI = ("PNS", "CPNS", "PPPK", "HONORER")
JENIS_LEAVE = ("CUTI", "SAKIT", "IZIN", "DL", "TB")
# leave.csv `status` (optional column): a letter in force, or withdrawn (it stops counting; the row
# stays in raw with its batch: who loaded the withdrawal and when). Empty = berlaku.
LEAVE_STATUS = ("berlaku", "dicabut")
# Corrections (issue 15): LUPA_* add a check-in/out at `jam`; IZIN_* and DL_SEBAGIAN excuse TL/PSW;
# WFH/WFA count the day as remote work; MESIN_RUSAK covers every dependent of a broken device.
JENIS_KOREKSI = (
    "LUPA_MASUK",
    "LUPA_PULANG",
    "IZIN_TERLAMBAT",
    "IZIN_PULANG_CEPAT",
    "DL_SEBAGIAN",
    "WFH",
    "WFA",
    "MESIN_RUSAK",
)
STATUS_KOREKSI = ("DISETUJUI", "DITOLAK", "DIAJUKAN")
MAX_MESIN_RUSAK_DAYS = 31  # a longer outage is a new letter (and usually a replaced device)
_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", re.ASCII)
_PIN_RE = re.compile(r"[0-9A-Za-z]{1,24}", re.ASCII)
MAX_PROBLEMS_SHOWN = 200  # on screen, in the inbox report and in raw.ingest_batch.error; the rest is counted
# Sanity bounds of the numeric columns (raw.employee): a value outside is a typo, never a real one.
MAX_TUNJANGAN = 1_000_000_000  # Rp 1 miliar a month; also keeps Σ over a regency far inside bigint
KELAS_JABATAN = range(1, 18)  # kelas jabatan 1–17 (Perpres on tunjangan kinerja, PermenPAN-RB 34/2011)
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class ReferenceFileError(UserError):
    """A reference file that cannot be loaded; `problems` holds the first MAX_PROBLEMS_SHOWN
    `FILE:ROW: column: problem` lines and `total` counts all of them."""

    def __init__(self, path: Path, problems: list[str], total: int | None = None):
        self.path = path
        self.problems = problems[:MAX_PROBLEMS_SHOWN]
        self.total = max(total or 0, len(problems))
        lines = list(self.problems)
        if self.total > len(self.problems):
            lines.append(f"... dan {self.total - len(self.problems)} masalah lain")
        lines.append(f"{path}: {self.total} masalah; tidak ada baris yang disimpan")
        super().__init__("\n".join(lines))


class _Problems:
    """Problems of one file: the first MAX_PROBLEMS_SHOWN kept as text, every one counted (a
    million-row bad file must not become a million lines or a million strings)."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.total = 0

    def add(self, problem: str) -> None:
        self.total += 1
        if len(self.shown) < MAX_PROBLEMS_SHOWN:
            self.shown.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class LoadResult:
    kind: str
    batch_id: int
    rows: int
    path: Path


@dataclass
class _Row:
    """One parsed source row: its line number and typed values in table-column order."""

    line: int
    values: tuple


@dataclass
class _Context:
    """What a row check may consult: current registry keys in the warehouse plus the file itself."""

    known_opd: set[str] = field(default_factory=set)
    known_nip: set[str] = field(default_factory=set)
    known_device: set[str] = field(default_factory=set)
    file_opd: set[str] = field(default_factory=set)  # codes seen earlier in the file being checked
    leave_max_days: dict[str, int] = field(default_factory=dict)
    known_leave: set[tuple[str, date]] = field(default_factory=set)  # (nip, mulai) of letters stored
    # koreksi only: nip -> (jenis_opd, aktif_mulai, aktif_sampai) of the current employee row
    employee_days: dict[str, tuple[str | None, date, date | None]] = field(default_factory=dict)
    # roster only (issue 14): shift_code -> (masuk, pulang) as datetime offsets from the day, None for REG/L
    shift_types: dict[str, tuple[timedelta, timedelta] | None] = field(default_factory=dict)
    file_shifts: dict[tuple[str, date], tuple[int, str, datetime, datetime]] = field(default_factory=dict)
    file_roster_days: set[tuple[str, date]] = field(default_factory=set)  # every (nip, tanggal) of the file
    # roster only: the current stored shift codes of the given (nip, tanggal) keys (newest counted batch)
    stored_roster: Callable[[list[tuple[str, date]]], dict[tuple[str, date], str]] | None = None


# ---- cell parsers: return the typed value or raise ValueError(problem in Bahasa Indonesia) ----


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf"  # Cf: zero-width space/joiners, BOM


def _control_problem(value: str) -> str | None:
    """Line breaks and control characters (\\n \\r \\x0b NUL, U+0085, U+2028/2029...) split CSV rows
    and are illegal in xlsx: refused in every cell."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return f"berisi karakter kendali/ganti baris U+{ord(ch):04X}; hapus karakter itu"
    return None


def _required(value: str) -> str:
    if not value:
        raise ValueError("wajib diisi")
    if all(_invisible(ch) for ch in value):
        raise ValueError("wajib diisi (hanya berisi spasi/karakter tak terlihat)")
    return value


def _optional_text(value: str) -> str | None:
    if value and all(_invisible(ch) for ch in value):
        raise ValueError("hanya berisi spasi/karakter tak terlihat; kosongkan atau isi teks")
    return value or None


def _code(value: str) -> str:
    if not _CODE_RE.fullmatch(_required(value)):
        raise ValueError(f"kode tidak sah {value!r} (huruf/angka/.-_, maks 32)")
    return value


def _iso_date(value: str) -> date:
    try:
        if not _ISO_DATE_RE.fullmatch(value):  # not ISO week dates (2026-W01-1) nor 20260101
            raise ValueError
        day = date.fromisoformat(_required(value))
    except ValueError:
        raise ValueError(f"tanggal tidak sah {value!r} (format YYYY-MM-DD)") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise ValueError(
            f"tanggal {value} di luar {DATE_RANGE[0]}..{DATE_RANGE[1]} (kosongkan aktif_sampai bila masih aktif)"
        )
    return day


def _optional_date(value: str) -> date | None:
    return _iso_date(value) if value else None


def _optional_time(value: str) -> time | None:
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?", value, re.ASCII):
        raise ValueError(f"jam tidak sah {value!r} (format HH:MM)")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"jam {value} di luar hari (00:00–23:59)") from None


def _optional_nip(value: str) -> str | None:
    return _nip_text(value) if value else None


def _optional_code(value: str) -> str | None:
    return _code(value) if value else None


def _whole_rupiah(value: str) -> int:
    # re.ASCII: int() would also take "١٢" (Arabic-Indic digits) and "1_0"
    if re.fullmatch(r"-[0-9]+", _required(value), re.ASCII):
        raise ValueError(f"tidak boleh negatif ({value})")
    if not re.fullmatch(r"[0-9]+", value, re.ASCII):
        raise ValueError(f"harus bilangan bulat rupiah tanpa pemisah, bukan {value!r}")
    amount = int(value)
    if amount > MAX_TUNJANGAN:
        raise ValueError(f"{value} melebihi batas wajar Rp {MAX_TUNJANGAN:,} sebulan".replace(",", "."))
    return amount


def _kelas_jabatan(value: str) -> int | None:
    if not value:
        return None
    if not re.fullmatch(r"[0-9]+", value, re.ASCII) or int(value) not in KELAS_JABATAN:
        raise ValueError(
            f"kelas jabatan harus bilangan bulat {KELAS_JABATAN.start}–{KELAS_JABATAN.stop - 1}, bukan {value!r}"
        )
    return int(value)


def _port(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", _required(value), re.ASCII) or not 1 <= int(value) <= 65535:
        raise ValueError(f"port harus 1–65535, bukan {value!r}")
    return int(value)


def _optional_port(value: str) -> int | None:
    return _port(value) if value else None


def _comm_key_ref(value: str) -> str | None:
    """Only an ABSENSI_COMMKEY_* variable: a registry row must not be able to name (and so read out
    through a device) any other secret of the environment."""
    if not value:
        return None
    if not re.fullmatch(re.escape(COMMKEY_PREFIX) + r"[A-Z0-9_]+", value):
        raise ValueError(
            f"harus nama variabel lingkungan {COMMKEY_PREFIX}<NAMA> (huruf besar), bukan {value!r}"
        )
    return value


def _push_token_ref(value: str) -> str | None:
    if not value:
        return None
    if not re.fullmatch(re.escape(ADMS_TOKEN_PREFIX) + r"[A-Z0-9_]+", value):
        raise ValueError(
            f"harus nama variabel lingkungan {ADMS_TOKEN_PREFIX}<NAMA> (huruf besar), bukan {value!r}"
        )
    return value


def _push_allow(value: str) -> str | None:
    """IPs/CIDRs separated by spaces, commas or semicolons; stored normalised, space-separated."""
    if not value.strip():
        return None
    networks = []
    for part in re.split(r"[\s,;]+", value.strip()):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(
                f"alamat/CIDR tidak sah {part!r} (contoh 203.0.113.7 atau 10.8.0.0/24)"
            ) from None
    return " ".join(networks)


def _one_of(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} bukan salah satu dari {'|'.join(allowed)}")
        return value

    return parse


def _timezone(value: str) -> str | None:
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"zona waktu IANA tidak dikenal {value!r} (contoh Asia/Jakarta)") from None
    return value


def _pin(value: str) -> str:
    if not _PIN_RE.fullmatch(_required(value)):
        raise ValueError(f"PIN mesin tidak sah {value!r}")
    return value


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("", "1", "true", "ya", "y", "aktif"):
        return True
    if lowered in ("0", "false", "tidak", "n", "nonaktif"):
        return False
    raise ValueError(f"harus ya/tidak, bukan {value!r}")


@dataclass(frozen=True)
class _Column:
    name: str
    parse: Callable[[str], object]
    required: bool = True  # the header must have it (an optional column may be absent)


@dataclass(frozen=True)
class ReferenceKind:
    name: str
    table: str
    columns: tuple[_Column, ...]
    key: tuple[str, ...]  # natural key: unique within a file; the newest batch wins across files
    row_check: Callable[[dict, _Context], Iterable[tuple[str, str]]] | None = None
    # after every row passed: problems (line, column, message) of the file against what is stored
    file_check: Callable[[_Context], Iterable[tuple[int, str, str]]] | None = None

    @property
    def table_columns(self) -> list[str]:
        return [c.name for c in self.columns]


def _jenis_opd(value: str) -> str:
    """One of seed opd_types, stored in its spelling (`dinas` -> `DINAS`, so opd_schedule matches)."""
    known = [r["jenis_opd"] for r in read_seed("opd_types")]
    spelled = next((k for k in known if k.lower() == _required(value).lower()), None)
    if spelled is None:
        raise ValueError(f"jenis_opd {value!r} tidak dikenal; pilih {'|'.join(known)} (seed opd_types)")
    return spelled


def _case_twin(code: str, known: set[str]) -> str | None:
    """A known code equal to `code` except for letter case (SETDA vs setda): one OPD, typed twice."""
    return next((k for k in sorted(known) if k != code and k.lower() == code.lower()), None)


def _check_opd(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    code = row["opd_code"]
    if code is not None:
        twin = _case_twin(code, ctx.known_opd | ctx.file_opd)
        if twin:
            yield (
                "opd_code",
                f"{code!r} hanya beda huruf besar/kecil dengan OPD {twin!r}; pakai satu penulisan",
            )
        ctx.file_opd.add(code)


def _unknown_opd(code: str, ctx: _Context) -> str:
    twin = _case_twin(code, ctx.known_opd)
    hint = f"; maksud Anda {twin!r}? (huruf besar/kecil berbeda)" if twin else " (muat opd.csv dahulu)"
    return f"OPD {code!r} tidak dikenal{hint}"


def _check_employee(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    if row["jenis_pegawai"] is not None and row["nip"] is not None:
        problem = validate_nip(row["nip"], row["jenis_pegawai"])
        if problem:
            yield "nip", problem
    if row["opd_code"] is not None and row["opd_code"] not in ctx.known_opd:
        yield "opd_code", _unknown_opd(row["opd_code"], ctx)
    if row["aktif_mulai"] and row["aktif_sampai"] and row["aktif_sampai"] < row["aktif_mulai"]:
        yield "aktif_sampai", f"{row['aktif_sampai']} sebelum aktif_mulai {row['aktif_mulai']}"


def _check_device(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    if row["opd_code"] is not None and row["opd_code"] not in ctx.known_opd:
        yield "opd_code", _unknown_opd(row["opd_code"], ctx)
    if row["protocol"] in PULL_PROTOCOLS:
        # A pulled device needs its address; a push device calls us (it may sit behind NAT).
        for column in ("host", "port"):
            if row[column] is None:
                yield column, f"wajib diisi untuk protocol {row['protocol']} (mesin yang ditarik)"
        for column in ("push_token_ref", "push_allow"):
            if row.get(column):
                yield column, "hanya untuk protocol push"


def _check_pin(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    if row["nip"] is not None and row["nip"] not in ctx.known_nip:
        yield "nip", f"NIP {row['nip']} tidak ada di data pegawai (muat employees.csv dahulu)"
    if row["device_sn"] and row["device_sn"] not in ctx.known_device:
        yield "device_sn", f"mesin {row['device_sn']!r} tidak terdaftar (muat devices.csv dahulu)"


def _leave_status(value: str) -> str:
    status = value.lower() or "berlaku"
    if status not in LEAVE_STATUS:
        raise ValueError(f"{value!r} bukan salah satu dari {', '.join(LEAVE_STATUS)} (kosong = berlaku)")
    return status


def _check_leave(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    if row["nip"] is not None and row["nip"] not in ctx.known_nip:
        yield "nip", f"NIP {row['nip']} tidak ada di data pegawai"
    if row.get("status") == "dicabut" and row["nip"] and row["mulai"]:
        if (row["nip"], row["mulai"]) not in ctx.known_leave:
            yield (
                "status",
                f"tidak ada surat NIP {row['nip']} mulai {row['mulai']} di gudang untuk dicabut "
                "(kunci surat: nip + mulai)",
            )
    if row["mulai"] and row["sampai"] and row["sampai"] < row["mulai"]:
        yield "sampai", f"{row['sampai']} sebelum mulai {row['mulai']}"
    elif row["mulai"] and row["sampai"] and row["jenis"] in ctx.leave_max_days:
        days = (row["sampai"] - row["mulai"]).days + 1
        longest = ctx.leave_max_days[row["jenis"]]
        if days > longest:
            yield (
                "sampai",
                (
                    f"{row['jenis']} {days} hari ({row['mulai']}..{row['sampai']}) melebihi batas {longest} hari "
                    "(seed leave_max_days); periksa tahun pada tanggal"
                ),
            )


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@functools.cache
def _rules() -> Rules:
    return load_rules()


def _check_koreksi(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    jenis, nip, day = row["jenis"], row["nip"], row["tanggal"]
    if jenis == "MESIN_RUSAK":
        if nip is not None:
            yield "nip", "kosongkan untuk MESIN_RUSAK (berlaku bagi semua pegawai pada mesin itu)"
        if row["device_sn"] is None:
            yield "device_sn", "wajib diisi untuk MESIN_RUSAK"
        elif row["device_sn"] not in ctx.known_device:
            yield "device_sn", f"mesin {row['device_sn']!r} tidak terdaftar (muat devices.csv dahulu)"
        if day and row["sampai"]:
            if row["sampai"] < day:
                yield "sampai", f"{row['sampai']} sebelum tanggal {day}"
            elif (row["sampai"] - day).days + 1 > MAX_MESIN_RUSAK_DAYS:
                yield (
                    "sampai",
                    f"lebih dari {MAX_MESIN_RUSAK_DAYS} hari ({day}..{row['sampai']}); pecah per surat",
                )
    elif jenis is not None:
        if row["device_sn"] is not None:
            yield "device_sn", "hanya untuk MESIN_RUSAK; kosongkan"
        if row["sampai"] is not None:
            yield "sampai", "hanya untuk MESIN_RUSAK (satu baris per hari); kosongkan"
        if nip is None:
            yield "nip", f"wajib diisi untuk {jenis}"
        elif nip not in ctx.known_nip:
            yield "nip", f"NIP {nip} tidak ada di data pegawai"
        elif day is not None:
            rules = _rules()
            jenis_opd, mulai, sampai = ctx.employee_days.get(nip, (None, DATE_RANGE[0], None))
            if not rules.is_workday(day):
                yield "tanggal", f"{day} bukan hari kerja (akhir pekan/libur nasional/cuti bersama)"
            elif day < mulai or (sampai is not None and day > sampai):
                yield "tanggal", f"{day} di luar masa aktif pegawai {nip} ({mulai}..{sampai or ''})"
            elif jenis in ("LUPA_MASUK", "LUPA_PULANG") and row["jam"] is not None:
                start, end = rules.schedule(jenis_opd or "", day)
                jam = row["jam"]
                seconds = jam.hour * 3600 + jam.minute * 60 + jam.second
                if jenis == "LUPA_MASUK" and seconds >= end:
                    yield (
                        "jam",
                        f"{jam:%H:%M} di luar hari kerja: absen masuk harus sebelum jam pulang {_hhmm(end)}",
                    )
                if jenis == "LUPA_PULANG" and seconds <= start:
                    yield (
                        "jam",
                        f"{jam:%H:%M} di luar hari kerja: absen pulang harus setelah jam masuk {_hhmm(start)}",
                    )
    if jenis in ("LUPA_MASUK", "LUPA_PULANG") and row["jam"] is None:
        yield "jam", f"wajib diisi untuk {jenis} (jam absen yang terlupa, HH:MM)"
    if row["status"] == "DISETUJUI":
        if row["disetujui_oleh"] is None:
            yield "disetujui_oleh", "wajib diisi untuk status DISETUJUI (pejabat yang menyetujui)"
        if row["disetujui_pada"] is None:
            yield "disetujui_pada", "wajib diisi untuk status DISETUJUI (YYYY-MM-DD)"
    submitted, approved = row.get("diajukan_pada"), row["disetujui_pada"]
    if submitted and approved and approved < submitted:
        yield "disetujui_pada", f"{approved} sebelum diajukan_pada {submitted}"
    if jenis in ("LUPA_MASUK", "LUPA_PULANG", "MESIN_RUSAK") and day:
        # a forgotten punch or a broken machine is settled after the day, never before it
        for column in ("diajukan_pada", "disetujui_pada"):
            if row.get(column) and row[column] < day:
                yield (
                    column,
                    f"{row[column]} sebelum tanggal koreksi {day} ({jenis} diajukan setelah harinya)",
                )


def _bulan(value: str) -> date:
    """A month: YYYY-MM (or YYYY-MM-01)."""
    text = value.strip()
    try:
        day = date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise ValueError(f"bulan {value!r} bukan YYYY-MM") from None
    if day.day != 1:
        raise ValueError(f"bulan {value!r} bukan YYYY-MM (tanggal harus 01)")
    return day


def _nilai(value: str) -> Decimal:
    """An e-kinerja score 0–100, at most two decimals."""
    try:
        score = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"nilai {value!r} bukan angka") from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValueError(f"nilai {value} di luar 0–100")
    if score != score.quantize(Decimal("0.01")):
        raise ValueError(f"nilai {value} lebih dari dua angka desimal")
    return score


def _check_kinerja(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    if row["nip"] is not None and row["nip"] not in ctx.known_nip:
        yield "nip", f"NIP {row['nip']} tidak ada di data pegawai"


ROSTER_DAY_OFF = "L"  # a rostered day off (seed shift_types)


@functools.cache
def shift_types() -> dict[str, tuple[timedelta, timedelta] | None]:
    """Seed shift_types: code -> (start, end) as offsets from the day the shift starts (end > start: a
    `pulang` at or before `masuk` ends the next day); None for REG (the regular schedule) and L (off)."""
    result: dict[str, tuple[timedelta, timedelta] | None] = {}
    for row in read_seed("shift_types"):
        if not row["masuk"].strip():
            result[row["shift_code"]] = None
            continue
        start = datetime.combine(date.min, time.fromisoformat(row["masuk"])) - datetime.min
        end = datetime.combine(date.min, time.fromisoformat(row["pulang"])) - datetime.min
        if end <= start:
            end += timedelta(days=1)
        result[row["shift_code"]] = (start, end)
    return result


def _shift_code(value: str) -> str:
    code = _required(value).upper()
    known = shift_types()
    if code not in known:
        raise ValueError(f"kode shift {value!r} tidak dikenal; pilih {'|'.join(known)} (seed shift_types)")
    return code


def _check_roster(row: dict, ctx: _Context) -> Iterable[tuple[str, str]]:
    nip, day, code = row["nip"], row["tanggal"], row["shift_code"]
    if nip is None:
        return
    if nip not in ctx.known_nip:
        yield "nip", f"NIP {nip} tidak ada di data pegawai (muat employees.csv dahulu)"
        return
    if day is None:
        return
    _, mulai, sampai = ctx.employee_days.get(nip, (None, DATE_RANGE[0], None))
    if day < mulai or (sampai is not None and day > sampai):
        yield "tanggal", f"{day} di luar masa aktif pegawai {nip} ({mulai}..{sampai or ''})"
        return
    ctx.file_roster_days.add((nip, day))
    span = _shift_span(ctx, code, day)
    if span is None:
        return
    start, end = span
    for other_day in (day - timedelta(days=1), day + timedelta(days=1)):
        other = ctx.file_shifts.get((nip, other_day))
        if other and start < other[3] and other[2] < end:
            yield (
                "shift_code",
                f"{code} {start:%d-%m %H:%M}–{end:%d-%m %H:%M} bertumpang tindih dengan {other[1]} "
                f"{other[2]:%d-%m %H:%M}–{other[3]:%d-%m %H:%M} (baris {other[0]}) untuk NIP {nip}",
            )
    ctx.file_shifts.setdefault((nip, day), (row["_line"], code, start, end))


def _shift_span(ctx: _Context, code: str | None, day: date) -> tuple[datetime, datetime] | None:
    times = ctx.shift_types.get(code) if code else None
    if times is None:
        return None
    return datetime.combine(day, time()) + times[0], datetime.combine(day, time()) + times[1]


def _check_roster_against_stored(ctx: _Context) -> Iterable[tuple[int, str, str]]:
    """A shift of the file may not overlap the stored shift of the day before or after that the file
    leaves in place (the newest counted batch wins per (nip, tanggal), so a neighbour the file also
    names is replaced, not kept)."""
    if ctx.stored_roster is None or not ctx.file_shifts:
        return
    neighbours = {
        (nip, other_day)
        for nip, day in ctx.file_shifts
        for other_day in (day - timedelta(days=1), day + timedelta(days=1))
        if (nip, other_day) not in ctx.file_roster_days
    }
    stored = ctx.stored_roster(sorted(neighbours)) if neighbours else {}
    for (nip, day), (line, code, start, end) in sorted(ctx.file_shifts.items(), key=lambda kv: kv[1][0]):
        for other_day in (day - timedelta(days=1), day + timedelta(days=1)):
            other_code = stored.get((nip, other_day))
            span = _shift_span(ctx, other_code, other_day)
            if span and start < span[1] and span[0] < end:
                yield (
                    line,
                    "shift_code",
                    f"{code} {start:%d-%m %H:%M}–{end:%d-%m %H:%M} bertumpang tindih dengan {other_code} "
                    f"{span[0]:%d-%m %H:%M}–{span[1]:%d-%m %H:%M} yang sudah tersimpan ({other_day}) "
                    f"untuk NIP {nip}",
                )


def _nip_text(value: str) -> str:
    if not re.fullmatch(r"[0-9]+", _required(value), re.ASCII):
        raise ValueError(f"NIP/NIK harus angka saja, bukan {value!r}")
    return value


KINDS: dict[str, ReferenceKind] = {
    "opd": ReferenceKind(
        "opd",
        "raw.opd",
        (_Column("opd_code", _code), _Column("nama_opd", _required), _Column("jenis_opd", _jenis_opd)),
        key=("opd_code",),
        row_check=_check_opd,
    ),
    "devices": ReferenceKind(
        "devices",
        "raw.device",
        (
            _Column("device_sn", _code),
            _Column("nama", _required),
            _Column("opd_code", _code),
            _Column("host", _optional_text),
            _Column("port", _optional_port),
            _Column("protocol", _one_of(*PULL_PROTOCOLS, "push")),
            _Column("timezone", _timezone),
            _Column("comm_key_ref", _comm_key_ref, required=False),
            _Column("active", _boolean, required=False),
            _Column("push_token_ref", _push_token_ref, required=False),
            _Column("push_allow", _push_allow, required=False),
        ),
        key=("device_sn",),
        row_check=_check_device,
    ),
    "employees": ReferenceKind(
        "employees",
        "raw.employee",
        (
            _Column("nip", _nip_text),
            _Column("nama", _required),
            _Column("jenis_pegawai", _one_of(*JENIS_PEGAWAI)),
            _Column("golongan", _optional_text),
            _Column("jabatan", _optional_text),
            _Column("kelas_jabatan", _kelas_jabatan),
            _Column("opd_code", _code),
            _Column("tunjangan_pokok", _whole_rupiah),
            _Column("aktif_mulai", _iso_date),
            _Column("aktif_sampai", _optional_date),
        ),
        key=("nip",),
        row_check=_check_employee,
    ),
    "pins": ReferenceKind(
        "pins",
        "raw.employee_pin",
        (
            _Column("nip", _nip_text),
            _Column("device_pin", _pin),
            _Column("device_sn", lambda v: v or None, required=False),
        ),
        key=("device_pin", "device_sn"),
        row_check=_check_pin,
    ),
    "leave": ReferenceKind(
        "leave",
        "raw.leave",
        (
            _Column("nip", _nip_text),
            _Column("jenis", _one_of(*JENIS_LEAVE)),
            _Column("mulai", _iso_date),
            _Column("sampai", _iso_date),
            _Column("nomor_surat", _optional_text, required=False),
            _Column("status", _leave_status, required=False),
        ),
        key=("nip", "mulai"),
        row_check=_check_leave,
    ),
    "kinerja": ReferenceKind(
        "kinerja",
        "raw.kinerja",
        (
            _Column("nip", _nip_text),
            _Column("bulan", _bulan),
            _Column("nilai", _nilai),
        ),
        key=("nip", "bulan"),
        row_check=_check_kinerja,
    ),
    "roster": ReferenceKind(
        "roster",
        "raw.roster",
        (
            _Column("nip", _nip_text),
            _Column("tanggal", _iso_date),
            _Column("shift_code", _shift_code),
        ),
        key=("nip", "tanggal"),
        row_check=_check_roster,
        file_check=_check_roster_against_stored,
    ),
    "koreksi": ReferenceKind(
        "koreksi",
        "raw.koreksi",
        (
            _Column("nip", _optional_nip),
            _Column("tanggal", _iso_date),
            _Column("jenis", _one_of(*JENIS_KOREKSI)),
            _Column("jam", _optional_time),
            _Column("device_sn", _optional_code),
            _Column("sampai", _optional_date, required=False),
            _Column("alasan", _optional_text),
            _Column("nomor_surat", _optional_text),
            _Column("diajukan_oleh", _optional_text),
            _Column("diajukan_pada", _optional_date, required=False),
            _Column("disetujui_oleh", _optional_text),
            _Column("disetujui_pada", _optional_date),
            _Column("status", _one_of(*STATUS_KOREKSI)),
        ),
        # one of nip / device_sn is set (MESIN_RUSAK names a device, every other jenis an employee)
        key=("tanggal", "jenis", "nip", "device_sn"),
        row_check=_check_koreksi,
    ),
}

# raw.device names its display column `name`; the CSV format (DESIGN §5) calls it `nama`.
# The order files must load in: a row may only name keys already in the warehouse (devices and
# employees name OPDs; pins name employees and devices; leave, roster and koreksi name employees
# and devices; koreksi last, as it may concern a rostered day). KINDS is written
# in this order; the folder loader, the inbox and the demo all follow it.
LOAD_ORDER: tuple[str, ...] = tuple(KINDS)

_TABLE_COLUMN_NAMES = {("devices", "nama"): "name"}


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReferenceFileError(path, [f"{path}:1: berkas UTF-16; simpan ulang sebagai UTF-8 (CSV UTF-8)"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReferenceFileError(
            path,
            [f"{path}:{line}: berkas bukan UTF-8 (byte 0x{data[exc.start]:02x}); simpan ulang sebagai UTF-8"],
        ) from None
    if "\x00" in text:
        # UTF-16 without a BOM decodes as "UTF-8" with a NUL after every ASCII letter.
        line = text[: text.index("\x00")].count("\n") + 1
        hint = "berkas UTF-16 tanpa BOM? " if text.count("\x00") * 3 > len(text) else ""
        raise ReferenceFileError(
            path, [f"{path}:{line}: berisi karakter NUL; {hint}simpan ulang sebagai CSV UTF-8"]
        )
    return text


def parse_reference_file(path: Path, kind: ReferenceKind, ctx: _Context) -> list[_Row]:
    """Check a whole file; returns typed rows or raises ReferenceFileError listing its problems."""
    data = path.read_bytes()
    text = _decode(path, data)
    if not text.strip():
        raise ReferenceFileError(path, [f"{path}:1: berkas kosong (tanpa baris judul dan data)"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise ReferenceFileError(path, [f"{path}:1: header: CSV rusak ({exc})"]) from None
    expected = kind.table_columns
    if len(header) == 1 and ";" in header[0] and set(header[0].split(";")) & set(expected):
        raise ReferenceFileError(path, [f"{path}:1: header: pemisah ';' — gunakan ',' (CSV koma)"])
    missing = [c.name for c in kind.columns if c.required and c.name not in header]
    unknown = [h for h in header if h not in expected]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append(f"kolom wajib tidak ada: {', '.join(missing)}")
        if unknown:
            parts.append(f"kolom tidak dikenal: {', '.join(unknown)}")
        if duplicated:
            parts.append(f"kolom ganda: {', '.join(duplicated)}")
        raise ReferenceFileError(
            path, [f"{path}:1: header: {'; '.join(parts)} (yang diharapkan: {','.join(expected)})"]
        )
    position = {name: header.index(name) for name in header}
    problems = _Problems()
    rows: list[_Row] = []
    seen_keys: dict[tuple, int] = {}
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ReferenceFileError(
                path,
                [*problems.shown, f"{path}:{line}: baris: CSV rusak ({exc})"],
                problems.total + 1,
            ) from None
        if not any(cell.strip() for cell in record):
            continue  # blank lines (often a trailing one) carry nothing
        if len(record) != len(header):
            problems.add(f"{path}:{line}: baris: {len(record)} kolom, header punya {len(header)}")
            continue
        typed: dict[str, object] = {}
        for column in kind.columns:
            raw_value = record[position[column.name]].strip() if column.name in position else ""
            control = _control_problem(raw_value)
            try:
                if control:
                    raise ValueError(control)
                typed[column.name] = column.parse(raw_value)
            except ValueError as exc:
                typed[column.name] = None
                problems.add(f"{path}:{line}: {column.name}: {exc}")
        if kind.row_check:
            for col, msg in kind.row_check({**typed, "_line": line}, ctx):
                problems.add(f"{path}:{line}: {col}: {msg}")
        key = tuple(typed[k] for k in kind.key)
        if all(part is not None for part in key[:1]):
            if key in seen_keys:
                label = ",".join(f"{k}={v}" for k, v in zip(kind.key, key, strict=True) if v is not None)
                problems.add(
                    f"{path}:{line}: {kind.key[0]}: kunci ganda ({label}), sudah ada di baris {seen_keys[key]}"
                )
            else:
                seen_keys[key] = line
        if not problems:
            rows.append(_Row(line, tuple(typed[c] for c in kind.table_columns)))
    if not rows and not problems:
        problems.add(f"{path}:2: berkas tanpa baris data")
    if kind.file_check and not problems:
        for line, col, msg in kind.file_check(ctx):
            problems.add(f"{path}:{line}: {col}: {msg}")
    if problems:
        raise ReferenceFileError(path, problems.shown, problems.total)
    return rows


def _current_keys(conn: psycopg.Connection, kind: str = "") -> _Context:
    """Registry keys as the warehouse knows them now (counted batches: ok and not retracted); for a
    leave file also the letters stored (a withdrawal must name one); for koreksi the employees' days."""

    def keys(sql: str) -> set[str]:
        return {r[0] for r in conn.execute(sql)}

    ok = (
        "batch_id in (select batch_id from raw.ingest_batch where status = 'ok')"
        " and batch_id not in (select batch_id from raw.batch_retraction)"
    )
    known_leave: set[tuple[str, date]] = set()
    if kind == "leave":
        known_leave = {
            (r[0], r[1]) for r in conn.execute(f"select distinct nip, mulai from raw.leave where {ok}")
        }
    return _Context(
        known_leave=known_leave,
        known_opd=keys(f"select distinct opd_code from raw.opd where {ok}"),
        known_nip=keys(f"select distinct nip from raw.employee where {ok}"),
        known_device=keys(f"select distinct device_sn from raw.device where {ok}"),
        leave_max_days={r["leave_type"]: int(r["max_days"]) for r in read_seed("leave_max_days")},
        employee_days=_employee_days(conn, ok) if kind in ("koreksi", "roster") else {},
        shift_types=shift_types() if kind == "roster" else {},
        stored_roster=(lambda keys: _stored_roster(conn, ok, keys)) if kind == "roster" else None,
    )


def _stored_roster(
    conn: psycopg.Connection, ok: str, keys: list[tuple[str, date]]
) -> dict[tuple[str, date], str]:
    """The current shift code of each (nip, tanggal) asked, as stg_raw__rosters reads it."""
    rows = conn.execute(
        f"""select distinct on (r.nip, r.tanggal) r.nip, r.tanggal, r.shift_code
            from raw.roster r
            join unnest(%s::text[], %s::date[]) as k (nip, tanggal)
              on k.nip = r.nip and k.tanggal = r.tanggal
            where {ok}
            order by r.nip, r.tanggal, r.batch_id desc, r.row_no desc""",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
    return {(r[0], r[1]): r[2] for r in rows}


def _employee_days(conn: psycopg.Connection, ok: str) -> dict[str, tuple[str | None, date, date | None]]:
    """nip -> (jenis_opd, aktif_mulai, aktif_sampai) as the current rows say (newest counted batch)."""
    rows = conn.execute(
        f"""with employees as (
                select distinct on (nip) nip, opd_code, aktif_mulai, aktif_sampai
                from raw.employee where {ok} order by nip, batch_id desc, row_no desc),
            opds as (
                select distinct on (opd_code) opd_code, jenis_opd
                from raw.opd where {ok} order by opd_code, batch_id desc, row_no desc)
            select employees.nip, opds.jenis_opd, employees.aktif_mulai, employees.aktif_sampai
            from employees left join opds on opds.opd_code = employees.opd_code"""
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def load_reference_file(conn: psycopg.Connection, kind: str, path: Path | str) -> LoadResult:
    """Load one reference CSV as a new batch. All or nothing; a rejected file is recorded as a failed batch."""
    path = Path(path)
    if kind not in KINDS:
        raise UserError(f"jenis referensi tidak dikenal {kind!r}; pilih salah satu: {', '.join(KINDS)}")
    if not path.is_file():
        raise UserError(f"{path}: berkas tidak ditemukan")
    spec = KINDS[kind]
    started = datetime.now().astimezone()
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        with conn.transaction():
            rows = parse_reference_file(path, spec, _current_keys(conn, kind))
            batch_id = db.scalar(
                conn,
                """insert into raw.ingest_batch
                       (kind, source_file, content_sha256, started_at, status, records_read, records_new)
                   values (%s, %s, %s, %s, 'ok', %s, %s) returning batch_id""",
                (kind, path.name, sha256, started, len(rows), len(rows)),
            )
            columns = ["batch_id", "row_no"] + [
                _TABLE_COLUMN_NAMES.get((kind, c), c) for c in spec.table_columns
            ]
            with conn.cursor().copy(f"copy {spec.table} ({', '.join(columns)}) from stdin") as copy:
                for row in rows:
                    copy.write_row((batch_id, row.line, *row.values))
    except ReferenceFileError as exc:
        _record_failed(conn, kind, path, sha256, started, exc.problems, exc.total)
        raise
    except (psycopg.DataError, psycopg.IntegrityError) as exc:
        # A value the checks above let through but the table refuses: still one line, still a failed batch.
        problem = f"{path}: ditolak basis data: {exc.diag.message_primary or type(exc).__name__}"
        _record_failed(conn, kind, path, sha256, started, [problem], 1)
        raise ReferenceFileError(path, [problem]) from None
    return LoadResult(kind, batch_id, len(rows), path)


def _record_failed(
    conn: psycopg.Connection,
    kind: str,
    path: Path,
    sha256: str,
    started: datetime,
    problems: list[str],
    total: int,
) -> None:
    """Keep an audit row of the refused file; its data never reached raw."""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    if total > len(shown):
        shown.append(f"... dan {total - len(shown)} masalah lain")
    with conn.transaction():
        conn.execute(
            """insert into raw.ingest_batch (kind, source_file, content_sha256, started_at, status, error)
               values (%s, %s, %s, %s, 'failed', %s)""",
            (kind, path.name, sha256, started, "\n".join(shown)),
        )
