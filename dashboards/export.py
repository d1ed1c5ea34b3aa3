"""Files for finance (BPKAD: monthly allowance deductions) and for the e-kinerja application.

Deductions file, CSV (by default for Excel in an Indonesian locale: `;` separated, decimal comma,
UTF-8 with a BOM, `\\n` line ends; `PLAIN_CSV`: `,`, decimal point, no BOM):
    BULAN;2026-03
    STATUS;FINAL            (or DRAF: the month is not locked yet and must not be paid from)
    jenis_baris;nip;nama;kode_opd;nama_opd;tunjangan_pokok;persen_potongan;potongan;tunjangan_diterima;...
    DATA;...                one row per employee, ordered by kode_opd, nip; ends with the TL/PSW day
                            counts and the percent from TK, TL and PSW (empty for the finance login)
    TOTAL_OPD;...           one row per OPD
    TOTAL;...               the whole regency
    jenis_baris;nip;nama;kode_opd;nama_opd;bulan_dikoreksi;potongan_terkunci;potongan_koreksi;...
    PENYESUAIAN;...         corrections of earlier locked (paid) months, paid in this month
    TOTAL_PENYESUAIAN;...   their sum (positive: more is deducted now; negative: paid back now)
    TOTAL_DIBAYAR;<rupiah>  what finance pays this month: total net − total adjustment
    CHECKSUM_SHA256;<hex>;<number of DATA and PENYESUAIAN lines>

The checksum is SHA-256 over the DATA and PENYESUAIAN lines exactly as written, in file order (each
ending in `\\n`), so finance can verify a CSV with standard tools:
`grep -E '^(DATA|PENYESUAIAN);' potongan.csv | sha256sum`. The XLSX (dashboards/workbook.py) carries
the same rows (sheets Potongan, Penyesuaian, Rekap OPD, Checksum) and the checksum of the CSV written
in the same dialect (recorded on its Checksum sheet); `absensi export verify FILE` checks either.

Text cells that a spreadsheet would read as a formula (starting with `= + - @`, tab, CR, LF) are written
with a leading `'` in every CSV and XLSX (OWASP CSV injection); the checksum is over those written lines.

e-kinerja file (CSV with `,`, or JSON `{"bulan", "jumlah_baris", "kehadiran": [...]}`), one row per
employee per workday of `marts.fct_attendance_daily`, columns in this order (EKINERJA_COLUMNS):
    nip, tanggal, kode_opd, status, jam_masuk, jam_pulang, menit_terlambat, menit_pulang_cepat,
    tingkat_tl, tingkat_psw, persen_potongan, keterangan, kode_shift, shift, tanggal_masuk, tanggal_pulang
`tanggal` is the day the shift starts; jam_masuk/jam_pulang are `HH:MM:SS` (local time) and
tanggal_masuk/tanggal_pulang the calendar dates of those punches (ISO; empty without a punch): a night
shift (kode_shift MALAM) checks out on tanggal + 1. kode_shift is REG for the regular office day, else the
rostered shift of seed shift_types, whose name is `shift`.
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
    "hari_tl", "hari_psw", "persen_tk", "persen_tl", "persen_psw", "hari_menunggu", "status_data",
    # issue 20, the parts of potongan (empty in a locked month's row: the close's snapshot has none):
    # potongan = potongan_disiplin + (tunjangan_pokok − bagian_disiplin − kinerja_dibayar) + potongan_sanksi
    "bagian_disiplin", "potongan_disiplin", "kinerja_dibayar", "nilai_kinerja", "persen_sanksi",
    "potongan_sanksi", "gaji_dihentikan",
]  # fmt: skip
ADJUSTMENT_COLUMNS = [
    "jenis_baris", "nip", "nama", "kode_opd", "nama_opd", "bulan_dikoreksi", "potongan_terkunci",
    "potongan_koreksi", "penyesuaian_potongan", "alasan",
]  # fmt: skip
EKINERJA_COLUMNS = [
    "nip", "tanggal", "kode_opd", "status", "jam_masuk", "jam_pulang", "menit_terlambat",
    "menit_pulang_cepat", "tingkat_tl", "tingkat_psw", "persen_potongan", "keterangan",
    # issue 14: the shift (REG for the regular office day) and the calendar dates of the punches, so a
    # night shift's check-out on the next day is told apart (jam_masuk/jam_pulang carry the time only)
    "kode_shift", "shift", "tanggal_masuk", "tanggal_pulang",
]  # fmt: skip
# Percent columns: text with two decimals in every CSV line (and in the checksum).
PCT_COLUMNS = frozenset(
    i for i, c in enumerate(DEDUCTION_COLUMNS) if c.startswith("persen_") or c == "nilai_kinerja"
)

# The workbook is read by people: the same columns under Indonesian headings.
DEDUCTION_HEADINGS = [
    "Jenis baris", "NIP", "Nama", "Kode OPD", "Nama OPD", "Tunjangan pokok (Rp)", "Potongan (%)",
    "Potongan (Rp)", "Tunjangan diterima (Rp)", "Hari kerja", "Hari hadir", "Hari TK",
    "Hari cuti/izin", "Hari terlambat (TL)", "Hari pulang cepat (PSW)", "Potongan dari TK (%)",
    "Potongan dari TL (%)", "Potongan dari PSW (%)", "Hari MENUNGGU", "Status data",
    "Bagian disiplin (Rp)", "Potongan disiplin (Rp)", "Bagian kinerja dibayar (Rp)", "Nilai e-kinerja",
    "Potongan sanksi (%)", "Potongan sanksi (Rp)", "Pembayaran dihentikan",
]  # fmt: skip
ADJUSTMENT_HEADINGS = [
    "Jenis baris", "NIP", "Nama", "Kode OPD", "Nama OPD", "Bulan dikoreksi", "Potongan terkunci (Rp)",
    "Potongan koreksi (Rp)", "Penyesuaian potongan (Rp)", "Alasan",
]  # fmt: skip
REKAP_HEADINGS = [
    "Kode OPD", "Nama OPD", "Jumlah pegawai", "Tunjangan pokok (Rp)", "Potongan (Rp)",
    "Tunjangan diterima (Rp)", "Hari kerja", "Hari hadir", "Hari TK", "Hari cuti/izin",
    "Hari terlambat (TL)", "Hari pulang cepat (PSW)",
]  # fmt: skip

DEDUCTIONS_SQL = """
select m.nip, e.nama, m.opd_code, o.nama_opd, m.base_amount, m.total_pct, m.deduction_amount,
       m.net_amount, m.workdays, m.days_hadir, m.days_tk, m.days_leave, m.days_menunggu,
       m.discipline_amount, m.discipline_deduction, m.performance_amount, m.performance_score,
       m.sanction_cut_pct, m.sanction_deduction, m.is_pay_stopped, m.is_complete
from marts.fct_allowance_deduction_monthly as m
left join marts.mart_employee_discipline_monthly as e on e.nip = m.nip and e.month = m.month
left join marts.mart_opd_discipline_monthly as o on o.opd_code = m.opd_code and o.month = m.month
where m.month = %s
order by m.opd_code, m.nip
"""
# The finance login (role absensi_finance) reads the allowance marts only: names stay empty for it.
DEDUCTIONS_CODES_ONLY_SQL = """
select m.nip, null, m.opd_code, null, m.base_amount, m.total_pct, m.deduction_amount,
       m.net_amount, m.workdays, m.days_hadir, m.days_tk, m.days_leave, m.days_menunggu,
       m.discipline_amount, m.discipline_deduction, m.performance_amount, m.performance_score,
       m.sanction_cut_pct, m.sanction_deduction, m.is_pay_stopped, m.is_complete
from marts.fct_allowance_deduction_monthly as m
where m.month = %s
order by m.opd_code, m.nip
"""
# Where an employee's percent comes from, per employee, from the daily facts of the month (days of a
# locked month are never recomputed there, so they match the frozen monthly row). A HADIR day's percent
# is TL + PSW: the TL part is the price of its TL tier (seed policy_tiers), the PSW part the rest, so
# TK + TL + PSW (+ any leave percent) is the month's uncapped percent exactly.
BREAKDOWN_SQL = """
select d.nip,
       count(*) filter (where d.status = 'HADIR' and d.tl_tier > 0),
       count(*) filter (where d.status = 'HADIR' and d.psw_tier > 0),
       coalesce(sum(d.deduction_pct) filter (where d.status = 'TK'), 0),
       coalesce(sum(coalesce(t.pct, 0)) filter (where d.status = 'HADIR'), 0),
       coalesce(sum(d.deduction_pct - coalesce(t.pct, 0)) filter (where d.status = 'HADIR'), 0)
from marts.fct_attendance_daily as d
left join staging.policy_tiers as t on t.policy_id = d.policy_id and t.side = 'TL' and t.tier = d.tl_tier
where d.work_date >= %s and d.work_date < (%s::date + interval '1 month')
group by d.nip
"""
BREAKDOWN_TABLES = ("marts.fct_attendance_daily", "staging.policy_tiers")
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
       d.tl_tier, d.psw_tier, d.deduction_pct, d.reason, d.shift_code, {shift_name}
from marts.fct_attendance_daily as d
{shift_join}
where d.work_date >= %s and d.work_date < (%s::date + interval '1 month')
order by d.nip, d.work_date
"""
# The shift's name from the seed (staging.shift_types); a login that may not read it gets the code only.
SHIFT_TYPES = "staging.shift_types"
EKINERJA_SHIFT_JOIN = "left join staging.shift_types as s on s.shift_code = d.shift_code"


@dataclass(frozen=True)
class CsvDialect:
    """How a deductions CSV is written: separator, decimal mark, byte-order mark."""

    sep: str
    decimal: str
    bom: bool


# Excel in an Indonesian locale opens a `;`-separated file with decimal commas into columns, and needs
# the BOM to read names as UTF-8. PLAIN is for other systems: `,`, decimal point, no BOM.
INDONESIAN_CSV = CsvDialect(sep=";", decimal=",", bom=True)
PLAIN_CSV = CsvDialect(sep=",", decimal=".", bom=False)


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
    # where the percent comes from; None when the daily facts cannot be read (finance login)
    hari_tl: int | None = None
    hari_psw: int | None = None
    persen_tk: Decimal | None = None
    persen_tl: Decimal | None = None
    persen_psw: Decimal | None = None
    # workdays not known yet (MENUNGGU, issue 13): exported only with --allow-incomplete, marked
    hari_menunggu: int = 0
    # issue 20: the parts (None in a locked month's row) and whether the month is known in full (no
    # MENUNGGU day, and the e-kinerja score imported when the policy pays a productivity part by it)
    bagian_disiplin: int | None = None
    potongan_disiplin: int | None = None
    kinerja_dibayar: int | None = None
    nilai_kinerja: Decimal | None = None
    persen_sanksi: Decimal | None = None
    potongan_sanksi: int | None = None
    gaji_dihentikan: bool | None = None
    lengkap: bool = True

    @property
    def status_data(self) -> str:
        return "BELUM LENGKAP" if self.hari_menunggu or not self.lengkap else "LENGKAP"

    def values(self) -> list[Any]:
        """The DATA row with numbers as numbers (percent as Decimal), text neutralised."""
        return [
            "DATA", safe_text(self.nip), safe_text(self.nama), safe_text(self.kode_opd),
            safe_text(self.nama_opd), self.tunjangan_pokok, Decimal(self.persen_potongan), self.potongan,
            self.tunjangan_diterima, self.hari_kerja, self.hari_hadir, self.hari_tk, self.hari_cuti_izin,
            self.hari_tl, self.hari_psw, _decimal(self.persen_tk), _decimal(self.persen_tl),
            _decimal(self.persen_psw), self.hari_menunggu, self.status_data, self.bagian_disiplin,
            self.potongan_disiplin, self.kinerja_dibayar, _decimal(self.nilai_kinerja),
            _decimal(self.persen_sanksi), self.potongan_sanksi,
            None if self.gaji_dihentikan is None else ("ya" if self.gaji_dihentikan else "tidak"),
        ]  # fmt: skip

    def cells(self, decimal: str = ".") -> list[Any]:
        """The DATA row as CSV cells (percent as text with two decimals)."""
        return text_cells(self.values(), decimal)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def text_cells(values: list[Any], decimal: str) -> list[Any]:
    """Cells of a DATA line as the CSV has them: percent columns as `19.25` (or `19,25`)."""
    return [
        pct(v, decimal) if i in PCT_COLUMNS and v is not None and v != "" else v for i, v in enumerate(values)
    ]


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


def pct(value: Any, decimal: str = ".") -> str:
    text = f"{Decimal(value):.2f}"
    return text.replace(".", decimal) if decimal != "." else text


# OWASP "CSV injection": a cell starting with one of these is a formula (or becomes one) in Excel,
# LibreOffice and Google Sheets. Such text cells get a leading apostrophe, in every format we write,
# so the checksum (over the lines as written) and `export verify` see the same neutral text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would read as a formula: then `'` + text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_line(cells: list[Any], sep: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerow(["" if c is None else c for c in cells])
    return buffer.getvalue()


def checksum_of(lines: list[str]) -> str:
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def choose_format(fmt: str, out: Path, known: tuple[str, ...], what: str) -> str:
    """The format asked for, or the one the `--out` extension names; refused when the two disagree."""
    fmt = fmt.strip().lower()
    extension = out.suffix.lower().lstrip(".")
    if fmt and fmt not in known:
        raise UserError(f"format '{fmt}' tidak dikenal untuk ekspor {what}: pilih {' atau '.join(known)}")
    if not fmt:
        if extension not in known:
            raise UserError(
                f"{out}: format tidak dapat ditentukan dari akhiran berkas; akhiri nama dengan "
                f"{' atau '.join('.' + k for k in known)}, atau pakai --format"
            )
        return extension
    if extension in known and extension != fmt:
        raise UserError(
            f"{out}: --format {fmt} tidak cocok dengan akhiran berkas .{extension}; "
            f"samakan keduanya (mis. --out {out.with_suffix('.' + fmt).name})"
        )
    return fmt


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


def fetch_breakdown(conn, month: date) -> dict[str, tuple[int, int, Decimal, Decimal, Decimal]]:
    """Per NIP: (TL days, PSW days, percent from TK, from TL, from PSW); empty when not readable."""
    if not all(_readable(conn, t) for t in BREAKDOWN_TABLES):
        return {}
    return {
        r[0]: (int(r[1]), int(r[2]), Decimal(r[3]), Decimal(r[4]), Decimal(r[5]))
        for r in conn.execute(BREAKDOWN_SQL, (month, month)).fetchall()
    }


def fetch_deductions(conn, month: date) -> list[DeductionRow]:
    require_marts(conn, "marts.fct_allowance_deduction_monthly")
    sql = DEDUCTIONS_SQL if _names_readable(conn) else DEDUCTIONS_CODES_ONLY_SQL
    rows = conn.execute(sql, (month,)).fetchall()
    breakdown = fetch_breakdown(conn, month)
    result = []
    for r in rows:
        parts = breakdown.get(r[0])
        result.append(
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
                hari_tl=parts[0] if parts else None,
                hari_psw=parts[1] if parts else None,
                persen_tk=parts[2] if parts else None,
                persen_tl=parts[3] if parts else None,
                persen_psw=parts[4] if parts else None,
                hari_menunggu=int(r[12] or 0),
                bagian_disiplin=_int(r[13]),
                potongan_disiplin=_int(r[14]),
                kinerja_dibayar=_int(r[15]),
                nilai_kinerja=_decimal(r[16]),
                persen_sanksi=_decimal(r[17]),
                potongan_sanksi=_int(r[18]),
                gaji_dihentikan=r[19],
                lengkap=r[20] is not False,
            )  # fmt: skip
        )
    return result


def _sum(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@dataclass
class OpdTotal:
    kode_opd: Any
    nama_opd: Any
    pegawai: int
    sums: list[Any]  # tunjangan_pokok, potongan, tunjangan_diterima, the day counts (as DEDUCTION_COLUMNS)


SUMMED = ["tunjangan_pokok", "potongan", "tunjangan_diterima", "hari_kerja", "hari_hadir", "hari_tk",
          "hari_cuti_izin", "hari_tl", "hari_psw"]  # fmt: skip


def _opd_totals(rows: list[DeductionRow]) -> tuple[list[OpdTotal], OpdTotal]:
    groups: dict[str, list[DeductionRow]] = {}
    for r in rows:
        groups.setdefault(r.kode_opd, []).append(r)

    def total(kode: Any, nama: Any, members: list[DeductionRow]) -> OpdTotal:
        return OpdTotal(kode, nama, len(members), [_sum([getattr(m, f) for m in members]) for f in SUMMED])

    per_opd = [total(safe_text(k), safe_text(g[0].nama_opd), g) for k, g in groups.items()]
    return per_opd, total("", "Seluruh OPD", rows)


def _total_line(kind: str, t: OpdTotal) -> list[Any]:
    """A TOTAL_OPD / TOTAL line in the DATA layout (employee count in the nama column)."""
    s = dict(zip(SUMMED, t.sums, strict=True))
    return [
        kind, "", f"{t.pegawai} pegawai", t.kode_opd, t.nama_opd, s["tunjangan_pokok"], "", s["potongan"],
        s["tunjangan_diterima"], s["hari_kerja"], s["hari_hadir"], s["hari_tk"], s["hari_cuti_izin"],
        s["hari_tl"], s["hari_psw"], "", "", "", "", "", "", "", "", "", "", "", "",
    ]  # fmt: skip


def export_deductions(
    month: date,
    fmt: str,
    out: Path,
    url: str,
    *,
    draft: bool = False,
    regency_name: str = "",
    dialect: CsvDialect = INDONESIAN_CSV,
    allow_incomplete: bool = False,
) -> ExportResult:
    """Write the deductions of the month starting `month` for finance; an unlocked month only with
    draft=True (marked DRAF). `fmt` empty: from the extension of `out`. A month with days not known
    yet (MENUNGGU) is refused, draft or not, unless `allow_incomplete` (then every such row says
    BELUM LENGKAP with its count of days)."""
    first_day = month
    month_text = iso_month(month)
    check_output_file(out, example=f"potongan-{month_text}.{fmt or 'xlsx'}")
    fmt = choose_format(fmt, out, ("csv", "xlsx"), "potongan")
    with db.connect(url) as conn:
        rows = fetch_deductions(conn, first_day)
        if not rows:
            raise UserError(
                f"tidak ada data potongan untuk bulan {month_text} di marts.fct_allowance_deduction_monthly"
            )
        adjustments = fetch_adjustments(conn, first_day)
        locked = db.is_month_locked(conn, first_day)
    waiting = [r for r in rows if r.hari_menunggu]
    unscored = [r for r in rows if not r.lengkap and not r.hari_menunggu]
    if unscored and not allow_incomplete:
        raise UserError(
            f"bulan {month_text} belum lengkap: {len(unscored)} pegawai belum punya nilai e-kinerja bulan ini "
            "(bagian kinerja TPP belum diketahui, tidak ditebak); ekspor ditolak, juga dengan --draft. Muat "
            f"nilainya (`absensi load kinerja BERKAS.csv`), atau tambahkan --allow-incomplete untuk berkas DRAF "
            "yang menandai setiap baris BELUM LENGKAP"
        )
    if waiting and not allow_incomplete:
        raise UserError(
            f"bulan {month_text} belum lengkap: {len(waiting)} pegawai masih punya "
            f"{sum(r.hari_menunggu for r in waiting)} hari MENUNGGU (data mesin belum terbaca atau hari belum "
            "selesai); ekspor ditolak, juga dengan --draft. Selesaikan datanya (`absensi close-month "
            f"{month_text}` menyebut mesin dan harinya), atau tambahkan --allow-incomplete untuk berkas DRAF yang "
            "menandai setiap baris BELUM LENGKAP"
        )
    if not locked and not draft:
        raise UserError(
            f"bulan {month_text} belum dikunci (tutup buku bulanan belum dijalankan): angka masih bisa berubah; "
            "pakai --draft untuk berkas DRAF yang tidak boleh dipakai membayar"
        )
    return write_deductions(
        out,
        fmt,
        month_text,
        "FINAL" if locked else "DRAF",
        rows,
        adjustments,
        regency_name=regency_name,
        dialect=dialect,
    )


def write_deductions(
    out: Path,
    fmt: str,
    month_text: str,
    status: str,
    rows: list[DeductionRow],
    adjustments: list[AdjustmentRow],
    *,
    regency_name: str = "",
    dialect: CsvDialect = INDONESIAN_CSV,
) -> ExportResult:
    """Write the deductions file (`fmt` csv or xlsx) from rows already read; the checksum is over the
    DATA and PENYESUAIAN lines exactly as written in `dialect` (text cells neutralised against
    formulas). The XLSX carries the checksum of the CSV written with the same dialect."""
    sep = dialect.sep
    data_lines = [csv_line(r.cells(dialect.decimal), sep) for r in rows]
    adjustment_lines = [csv_line(a.cells(), sep) for a in adjustments]
    checksum = checksum_of(data_lines + adjustment_lines)
    opd_totals, total = _opd_totals(rows)
    total_net = total.sums[SUMMED.index("tunjangan_diterima")]
    total_adjustment = sum(a.penyesuaian_potongan for a in adjustments)
    adjustment_total: list[Any] = ["TOTAL_PENYESUAIAN", "", f"{len(adjustments)} baris", "", "", "", "", ""]
    adjustment_total += [total_adjustment, ""]
    to_pay = total_net - total_adjustment
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with out.open("w", encoding="utf-8-sig" if dialect.bom else "utf-8", newline="") as f:
            f.write(csv_line(["BULAN", month_text], sep))
            f.write(csv_line(["STATUS", status], sep))
            f.write(csv_line(DEDUCTION_COLUMNS, sep))
            f.writelines(data_lines)
            f.writelines(csv_line(_total_line("TOTAL_OPD", t), sep) for t in opd_totals)
            f.write(csv_line(_total_line("TOTAL", total), sep))
            f.write(csv_line(ADJUSTMENT_COLUMNS, sep))
            f.writelines(adjustment_lines)
            f.write(csv_line(adjustment_total, sep))
            f.write(csv_line(["TOTAL_DIBAYAR", to_pay], sep))
            f.write(csv_line(["CHECKSUM_SHA256", checksum, len(rows) + len(adjustments)], sep))
    else:
        from dashboards.workbook import Workbook, WorkbookInput

        Workbook(
            WorkbookInput(
                month_text=month_text,
                status=status,
                regency_name=regency_name,
                rows=rows,
                adjustments=adjustments,
                opd_totals=opd_totals,
                total=total,
                total_adjustment=total_adjustment,
                to_pay=to_pay,
                checksum=checksum,
                dialect=dialect,
            )
        ).save(out)
    return ExportResult(
        path=out,
        rows=len(rows),
        total_base=total.sums[0],
        total_deduction=total.sums[1],
        total_net=total_net,
        checksum=checksum,
        draft=status != "FINAL",
        adjustments=len(adjustments),
        total_adjustment=total_adjustment,
        total_to_pay=to_pay,
    )


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
            text = path.read_text(encoding="utf-8-sig")
            first = text.split("\n", 1)[0]
            sep = ";" if first.startswith("BULAN;") else ","
            lines = [
                line + "\n"
                for line in text.splitlines()
                if line.startswith(("DATA" + sep, "PENYESUAIAN" + sep))
            ]
            tail = [line for line in text.splitlines() if line.startswith("CHECKSUM_SHA256" + sep)]
            expected = tail[-1].split(sep)[1] if tail else ""
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
        expected = str(info.get("CHECKSUM_SHA256") or "")
        # files written before the Indonesian CSV default carry no dialect: comma and decimal point
        sep = str(info.get("PEMISAH_CSV") or ",")
        decimal = str(info.get("DESIMAL_CSV") or ".")
        lines = [
            csv_line(text_cells(list(r), decimal), sep)
            for r in wb["Potongan"].iter_rows(values_only=True)
            if r and r[0] == "DATA"
        ]
        if "Penyesuaian" in wb.sheetnames:
            lines += [
                csv_line(list(r), sep)
                for r in wb["Penyesuaian"].iter_rows(values_only=True)
                if r and r[0] == "PENYESUAIAN"
            ]
    except (IndexError, TypeError, ValueError, ArithmeticError) as exc:
        raise UserError(
            f"{path}: lembar Potongan tidak berbentuk berkas potongan ({type(exc).__name__})"
        ) from None
    return lines, expected


def _time(value: datetime | None) -> str | None:
    return value.strftime("%H:%M:%S") if value else None


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def export_ekinerja(month: date, fmt: str, out: Path, url: str) -> ExportResult:
    """Daily attendance per NIP of the month starting `month`, for the e-kinerja application (CSV or JSON)."""
    first_day = month
    month_text = iso_month(month)
    # where it goes first (a folder, a path under a file), then what it is (the extension)
    check_output_file(out, example=f"ekinerja-{month_text}.{fmt or 'csv'}")
    fmt = choose_format(fmt, out, ("csv", "json"), "e-kinerja")
    with db.connect(url) as conn:
        require_marts(conn, "marts.fct_attendance_daily")
        named = _readable(conn, SHIFT_TYPES)
        sql = EKINERJA_SQL.format(
            shift_name="s.nama" if named else "null", shift_join=EKINERJA_SHIFT_JOIN if named else ""
        )
        raw = conn.execute(sql, (first_day, first_day)).fetchall()
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
                    r[12],
                    r[13],
                    _date(r[4]),
                    _date(r[5]),
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
