"""Files for finance (BPKAD: monthly allowance deductions) and for the e-kinerja application.

Deductions file, CSV (UTF-8, comma separated, `\\n` line ends):
    BULAN,2026-03
    STATUS,FINAL            (or DRAF: the month is not locked yet and must not be paid from)
    jenis_baris,nip,nama,kode_opd,nama_opd,tunjangan_pokok,persen_potongan,potongan,tunjangan_diterima,...
    DATA,...                one row per employee, ordered by kode_opd, nip
    TOTAL_OPD,...           one row per OPD
    TOTAL,...               the whole regency
    jenis_baris,nip,nama,kode_opd,nama_opd,bulan_dikoreksi,potongan_terkunci,potongan_koreksi,...
    PENYESUAIAN,...         corrections of earlier locked (paid) months, paid in this month
    TOTAL_PENYESUAIAN,...   their sum (positive: more is deducted now; negative: paid back now)
    TOTAL_DIBAYAR,<rupiah>  what finance pays this month: total net − total adjustment
    CHECKSUM_SHA256,<hex>,<number of DATA and PENYESUAIAN lines>

The checksum is SHA-256 over the DATA and PENYESUAIAN lines exactly as written, in file order (each
ending in `\\n`), so finance can verify a CSV with standard tools:
`grep -E '^(DATA|PENYESUAIAN),' potongan.csv | sha256sum`. The XLSX carries the same rows (sheets
Potongan, Penyesuaian, Rekap OPD, Checksum) and the same checksum over the same canonical lines;
`absensi export verify FILE` checks either format.

Text cells that a spreadsheet would read as a formula (starting with `= + - @`, tab, CR, LF) are written
with a leading `'` in every CSV and XLSX (OWASP CSV injection); the checksum is over those written lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dashboards.marts import require_marts
from warehouse import db
from warehouse.errors import UserError
from warehouse.months import iso_month
from warehouse.outputs import check_output_file, os_error_words

DEDUCTION_COLUMNS = [
    "jenis_baris", "nip", "nama", "kode_opd", "nama_opd", "tunjangan_pokok", "persen_potongan",
    "potongan", "tunjangan_diterima", "hari_kerja", "hari_hadir", "hari_tk", "hari_cuti_izin",
]  # fmt: skip
ADJUSTMENT_COLUMNS = [
    "jenis_baris", "nip", "nama", "kode_opd", "nama_opd", "bulan_dikoreksi", "potongan_terkunci",
    "potongan_koreksi", "penyesuaian_potongan", "alasan",
]  # fmt: skip
EKINERJA_COLUMNS = [
    "nip", "tanggal", "kode_opd", "status", "jam_masuk", "jam_pulang", "menit_terlambat",
    "menit_pulang_cepat", "tingkat_tl", "tingkat_psw", "persen_potongan", "keterangan",
]  # fmt: skip

DEDUCTIONS_SQL = """
select m.nip, e.nama, m.opd_code, o.nama_opd, m.base_amount, m.total_pct, m.deduction_amount,
       m.net_amount, m.workdays, m.days_hadir, m.days_tk, m.days_leave
from marts.fct_allowance_deduction_monthly as m
left join marts.mart_employee_discipline_monthly as e on e.nip = m.nip and e.month = m.month
left join marts.mart_opd_discipline_monthly as o on o.opd_code = m.opd_code and o.month = m.month
where m.month = %s
order by m.opd_code, m.nip
"""
# The finance login (role absensi_finance) reads the allowance marts only: names stay empty for it.
DEDUCTIONS_CODES_ONLY_SQL = """
select m.nip, null, m.opd_code, null, m.base_amount, m.total_pct, m.deduction_amount,
       m.net_amount, m.workdays, m.days_hadir, m.days_tk, m.days_leave
from marts.fct_allowance_deduction_monthly as m
where m.month = %s
order by m.opd_code, m.nip
"""
ADJUSTMENTS_SQL = """
select a.nip, {nama}, a.opd_code, {nama_opd}, to_char(a.corrected_month, 'YYYY-MM'),
       a.locked_deduction_amount, a.corrected_deduction_amount, a.adjustment_amount, a.reason
from marts.fct_allowance_adjustment as a
{joins}
where a.month = %s
order by a.opd_code, a.nip, a.corrected_month
"""
ADJUSTMENT_NAME_JOINS = """
left join marts.mart_employee_discipline_monthly as e on e.nip = a.nip and e.month = a.month
left join marts.mart_opd_discipline_monthly as o on o.opd_code = a.opd_code and o.month = a.month
"""
NAME_MARTS = ("marts.mart_employee_discipline_monthly", "marts.mart_opd_discipline_monthly")

EKINERJA_SQL = """
select d.nip, d.work_date, d.opd_code, d.status, d.first_in, d.last_out, d.late_minutes, d.early_minutes,
       d.tl_tier, d.psw_tier, d.deduction_pct, d.reason
from marts.fct_attendance_daily as d
where d.work_date >= %s and d.work_date < (%s::date + interval '1 month')
order by d.nip, d.work_date
"""


@dataclass
class DeductionRow:
    nip: str
    nama: str
    kode_opd: str
    nama_opd: str
    tunjangan_pokok: int
    persen_potongan: Decimal
    potongan: int
    tunjangan_diterima: int
    hari_kerja: int
    hari_hadir: int
    hari_tk: int
    hari_cuti_izin: int

    def cells(self) -> list[Any]:
        return [
            "DATA", safe_text(self.nip), safe_text(self.nama), safe_text(self.kode_opd),
            safe_text(self.nama_opd), self.tunjangan_pokok, pct(self.persen_potongan), self.potongan,
            self.tunjangan_diterima, self.hari_kerja, self.hari_hadir, self.hari_tk, self.hari_cuti_izin,
        ]  # fmt: skip


@dataclass
class AdjustmentRow:
    nip: str
    nama: str
    kode_opd: str
    nama_opd: str
    bulan_dikoreksi: str
    potongan_terkunci: int
    potongan_koreksi: int
    penyesuaian_potongan: int
    alasan: str

    def cells(self) -> list[Any]:
        return [
            "PENYESUAIAN", safe_text(self.nip), safe_text(self.nama), safe_text(self.kode_opd),
            safe_text(self.nama_opd), safe_text(self.bulan_dikoreksi), self.potongan_terkunci,
            self.potongan_koreksi, self.penyesuaian_potongan, safe_text(self.alasan),
        ]  # fmt: skip


@dataclass
class ExportResult:
    path: Path
    rows: int
    total_base: int = 0
    total_deduction: int = 0
    total_net: int = 0
    checksum: str = ""
    draft: bool = False
    adjustments: int = 0
    total_adjustment: int = 0
    total_to_pay: int = 0


def pct(value: Any) -> str:
    return f"{Decimal(value):.2f}"


# OWASP "CSV injection": a cell starting with one of these is a formula (or becomes one) in Excel,
# LibreOffice and Google Sheets. Such text cells get a leading apostrophe, in every format we write,
# so the checksum (over the lines as written) and `export verify` see the same neutral text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would read as a formula: then `'` + text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if c is None else c for c in cells])
    return buffer.getvalue()


def checksum_of(lines: list[str]) -> str:
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _readable(conn, table: str) -> bool:
    return db.relation_exists(conn, table) and bool(
        db.scalar(conn, "select has_table_privilege(to_regclass(%s), 'select')", (table,))
    )


def _names_readable(conn) -> bool:
    """Names come from the discipline marts (the allowance marts carry codes only)."""
    return all(_readable(conn, t) for t in NAME_MARTS)


def fetch_adjustments(conn, month: date) -> list[AdjustmentRow]:
    """Corrections of locked months paid in `month` (none when the adjustment mart is not built)."""
    if not _readable(conn, "marts.fct_allowance_adjustment"):
        return []
    names = _names_readable(conn)
    sql = ADJUSTMENTS_SQL.format(
        nama="e.nama" if names else "null",
        nama_opd="o.nama_opd" if names else "null",
        joins=ADJUSTMENT_NAME_JOINS if names else "",
    )
    return [
        AdjustmentRow(r[0], r[1] or "", r[2], r[3] or "", r[4], int(r[5]), int(r[6]), int(r[7]), r[8] or "")
        for r in conn.execute(sql, (month,)).fetchall()
    ]


def fetch_deductions(conn, month: date) -> list[DeductionRow]:
    require_marts(conn, "marts.fct_allowance_deduction_monthly")
    sql = DEDUCTIONS_SQL if _names_readable(conn) else DEDUCTIONS_CODES_ONLY_SQL
    rows = conn.execute(sql, (month,)).fetchall()
    return [
        DeductionRow(
            r[0],
            r[1] or "",
            r[2],
            r[3] or "",
            int(r[4]),
            Decimal(r[5]),
            int(r[6]),
            int(r[7]),
            int(r[8]),
            int(r[9]),
            int(r[10]),
            int(r[11]),
        )  # fmt: skip
        for r in rows
    ]


def _totals(rows: list[DeductionRow]) -> tuple[list[list[Any]], list[Any]]:
    per_opd: dict[str, list[Any]] = {}
    for r in rows:
        t = per_opd.setdefault(
            r.kode_opd,
            ["TOTAL_OPD", "", 0, safe_text(r.kode_opd), safe_text(r.nama_opd), 0, "", 0, 0, 0, 0, 0, 0],
        )
        t[2] += 1
        for i, v in zip(range(5, 13), r.cells()[5:], strict=True):
            if i != 6:
                t[i] += v
    opd_rows = []
    for t in per_opd.values():
        t[2] = f"{t[2]} pegawai"
        opd_rows.append(t)
    total: list[Any] = ["TOTAL", "", f"{len(rows)} pegawai", "", "Seluruh OPD"]
    total += [sum(r.tunjangan_pokok for r in rows), "", sum(r.potongan for r in rows)]
    total += [sum(r.tunjangan_diterima for r in rows)]
    total += [
        sum(getattr(r, f) for r in rows) for f in ("hari_kerja", "hari_hadir", "hari_tk", "hari_cuti_izin")
    ]
    return opd_rows, total


def export_deductions(month: date, fmt: str, out: Path, url: str, *, draft: bool = False) -> ExportResult:
    """Write the deductions of the month starting `month` for finance; an unlocked month only with
    draft=True (marked DRAF)."""
    fmt = fmt.lower()
    if fmt not in ("csv", "xlsx"):
        raise UserError(f"format '{fmt}' tidak dikenal untuk ekspor potongan: pilih csv atau xlsx")
    first_day = month
    month_text = iso_month(month)
    check_output_file(out, example=f"potongan-{month_text}.{fmt}")
    with db.connect(url) as conn:
        rows = fetch_deductions(conn, first_day)
        if not rows:
            raise UserError(
                f"tidak ada data potongan untuk bulan {month_text} di marts.fct_allowance_deduction_monthly"
            )
        adjustments = fetch_adjustments(conn, first_day)
        locked = db.is_month_locked(conn, first_day)
    if not locked and not draft:
        raise UserError(
            f"bulan {month_text} belum dikunci (tutup buku bulanan belum dijalankan): angka masih bisa berubah; "
            "pakai --draft untuk berkas DRAF yang tidak boleh dipakai membayar"
        )
    return write_deductions(out, fmt, month_text, "FINAL" if locked else "DRAF", rows, adjustments)


def write_deductions(
    out: Path,
    fmt: str,
    month_text: str,
    status: str,
    rows: list[DeductionRow],
    adjustments: list[AdjustmentRow],
) -> ExportResult:
    """Write the deductions file (`fmt` csv or xlsx) from rows already read; the checksum is over the
    DATA and PENYESUAIAN lines exactly as written (text cells neutralised against formulas)."""
    data_lines = [csv_line(r.cells()) for r in rows]
    adjustment_lines = [csv_line(a.cells()) for a in adjustments]
    checksum = checksum_of(data_lines + adjustment_lines)
    opd_rows, total = _totals(rows)
    total_adjustment = sum(a.penyesuaian_potongan for a in adjustments)
    adjustment_total: list[Any] = ["TOTAL_PENYESUAIAN", "", f"{len(adjustments)} baris", "", "", "", "", ""]
    adjustment_total += [total_adjustment, ""]
    to_pay = total[8] - total_adjustment
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as f:
            f.write(csv_line(["BULAN", month_text]))
            f.write(csv_line(["STATUS", status]))
            f.write(csv_line(DEDUCTION_COLUMNS))
            f.writelines(data_lines)
            f.writelines(csv_line(t) for t in opd_rows)
            f.write(csv_line(total))
            f.write(csv_line(ADJUSTMENT_COLUMNS))
            f.writelines(adjustment_lines)
            f.write(csv_line(adjustment_total))
            f.write(csv_line(["TOTAL_DIBAYAR", to_pay]))
            f.write(csv_line(["CHECKSUM_SHA256", checksum, len(rows) + len(adjustments)]))
    else:
        _write_xlsx(
            out, month_text, status, rows, opd_rows, total, adjustments, adjustment_total, to_pay, checksum
        )
    return ExportResult(
        path=out,
        rows=len(rows),
        total_base=total[5],
        total_deduction=total[7],
        total_net=total[8],
        checksum=checksum,
        draft=status != "FINAL",
        adjustments=len(adjustments),
        total_adjustment=total_adjustment,
        total_to_pay=to_pay,
    )


def _write_xlsx(
    out, month, status, rows, opd_rows, total, adjustments, adjustment_total, to_pay, checksum
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = "Potongan"
    ws.append(DEDUCTION_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        cells = r.cells()
        ws.append(cells[:6] + [Decimal(cells[6])] + cells[7:])
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "@"  # NIP is 18 digits: text, or Excel rounds it
    adj = wb.create_sheet("Penyesuaian")
    adj.append(ADJUSTMENT_COLUMNS)
    for cell in adj[1]:
        cell.font = Font(bold=True)
    for a in adjustments:
        adj.append(a.cells())
    for row in adj.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "@"
    rekap = wb.create_sheet("Rekap OPD")
    rekap.append(DEDUCTION_COLUMNS)
    for t in [*opd_rows, total, adjustment_total]:
        rekap.append(t)
    rekap.append(["TOTAL_DIBAYAR", to_pay])
    info = wb.create_sheet("Checksum")
    for pair in [
        ("BULAN", month),
        ("STATUS", status),
        ("JUMLAH_BARIS_DATA", len(rows)),
        ("JUMLAH_BARIS_PENYESUAIAN", len(adjustments)),
        ("TOTAL_POTONGAN", total[7]),
        ("TOTAL_PENYESUAIAN", adjustment_total[8]),
        ("TOTAL_DIBAYAR", to_pay),
        ("CHECKSUM_SHA256", checksum),
        (
            "CARA_VERIFIKASI",
            "absensi export verify BERKAS.xlsx (SHA-256 atas baris DATA lalu PENYESUAIAN dalam format CSV)",
        ),
    ]:
        info.append(list(pair))
    if status == "DRAF":
        ws.sheet_properties.tabColor = "FF0000"
        info.append(["PERINGATAN", "DRAF: bulan belum dikunci, jangan dipakai untuk pembayaran"])
    wb.save(out)


def verify_file(path: Path | str) -> tuple[bool, str, str]:
    """(ok, expected, actual) for a deductions CSV or XLSX: recompute the checksum of its DATA rows."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: berkas tidak ada")
    if path.is_dir():
        raise UserError(f"{path}: itu folder; beri nama berkas potongan .csv atau .xlsx")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError(
            f"{path}: bukan berkas potongan (hanya .csv atau .xlsx dari `absensi export deductions`)"
        )
    try:
        if suffix == ".xlsx":
            lines, expected = _xlsx_data_lines(path)
        else:
            text = path.read_text(encoding="utf-8")
            lines = [line + "\n" for line in text.splitlines() if line.startswith(("DATA,", "PENYESUAIAN,"))]
            tail = [line for line in text.splitlines() if line.startswith("CHECKSUM_SHA256,")]
            expected = tail[-1].split(",")[1] if tail else ""
    except UnicodeDecodeError:
        raise UserError(f"{path}: bukan teks UTF-8, jadi bukan berkas potongan CSV") from None
    except OSError as exc:
        raise UserError(f"{path}: tidak bisa dibaca: {os_error_words(exc)}") from None
    if not expected:
        raise UserError(f"{path}: tidak ada baris/lembar CHECKSUM_SHA256")
    actual = checksum_of(lines)
    return actual == expected, expected, actual


def _xlsx_data_lines(path: Path) -> tuple[list[str], str]:
    """The DATA and PENYESUAIAN lines of a deductions workbook, as the CSV would write them, and its
    recorded checksum; UserError for anything that is not such a workbook."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
    except (BadZipFile, KeyError, ValueError) as exc:
        raise UserError(f"{path}: bukan buku kerja XLSX yang sah ({type(exc).__name__})") from None
    missing = [name for name in ("Checksum", "Potongan") if name not in wb.sheetnames]
    if missing:
        raise UserError(f"{path}: bukan berkas potongan: lembar {', '.join(missing)} tidak ada")
    try:
        info = {r[0]: r[1] for r in wb["Checksum"].iter_rows(values_only=True) if len(r) >= 2}
        expected = str(info.get("CHECKSUM_SHA256", "") or "")
        lines = []
        for r in wb["Potongan"].iter_rows(min_row=2, values_only=True):
            cells = list(r)
            cells[6] = pct(cells[6])
            lines.append(csv_line(cells))
        if "Penyesuaian" in wb.sheetnames:
            lines += [csv_line(list(r)) for r in wb["Penyesuaian"].iter_rows(min_row=2, values_only=True)]
    except (IndexError, TypeError, ValueError, ArithmeticError) as exc:
        raise UserError(
            f"{path}: lembar Potongan tidak berbentuk berkas potongan ({type(exc).__name__})"
        ) from None
    return lines, expected


def _time(value: datetime | None) -> str | None:
    return value.strftime("%H:%M:%S") if value else None


def export_ekinerja(month: date, fmt: str, out: Path, url: str) -> ExportResult:
    """Daily attendance per NIP of the month starting `month`, for the e-kinerja application (CSV or JSON)."""
    fmt = fmt.lower()
    if fmt not in ("csv", "json"):
        raise UserError(f"format '{fmt}' tidak dikenal untuk ekspor e-kinerja: pilih csv atau json")
    first_day = month
    month_text = iso_month(month)
    check_output_file(out, example=f"ekinerja-{month_text}.{fmt}")
    with db.connect(url) as conn:
        require_marts(conn, "marts.fct_attendance_daily")
        raw = conn.execute(EKINERJA_SQL, (first_day, first_day)).fetchall()
    if not raw:
        raise UserError(f"tidak ada data kehadiran untuk bulan {month_text} di marts.fct_attendance_daily")
    records = [
        dict(
            zip(
                EKINERJA_COLUMNS,
                [
                    r[0],
                    r[1].isoformat(),
                    r[2],
                    r[3],
                    _time(r[4]),
                    _time(r[5]),
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    pct(r[10]),
                    r[11],
                ],
                strict=True,
            )
        )  # fmt: skip
        for r in raw
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=EKINERJA_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: safe_text(v) for k, v in record.items()} for record in records)
    else:
        payload = {"bulan": month_text, "jumlah_baris": len(records), "kehadiran": records}
        out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return ExportResult(path=out, rows=len(records))
