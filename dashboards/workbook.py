"""The finance workbook (XLSX) of the deductions export, laid out for people at BPKAD.

Every sheet opens with a title block (regency, month in Indonesian, status) above its own header row;
the header is frozen and filtered, money cells carry a rupiah format, widths fit the content. A DRAF
file says so in a red banner on every sheet and in the print header of every page. The cells of the
DATA and PENYESUAIAN rows are exactly those of the CSV lines (so `export verify` recomputes the
checksum); the Checksum sheet records the CSV dialect the checksum was taken in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboards.export import (
    ADJUSTMENT_HEADINGS,
    DEDUCTION_COLUMNS,
    DEDUCTION_HEADINGS,
    REKAP_HEADINGS,
    SUMMED,
    AdjustmentRow,
    CsvDialect,
    DeductionRow,
    OpdTotal,
)
from warehouse.months import month_label, parse_month

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

RUPIAH = '"Rp" #,##0;-"Rp" #,##0'
PERCENT = '0.00" %"'
COUNT = "0"
TEXT = "@"
HEADER_ROW = 5  # rows 1-3: the title block, row 4 empty
DRAFT_BANNER = (
    "STATUS: DRAF - bulan belum dikunci, angka masih bisa berubah. JANGAN dipakai untuk pembayaran."
)
DRAFT_PRINT_HEADER = "DRAF - JANGAN DIBAYARKAN"
RED = "C00000"

DEDUCTION_FORMATS = {
    "nip": TEXT, "tunjangan_pokok": RUPIAH, "persen_potongan": PERCENT, "potongan": RUPIAH,
    "tunjangan_diterima": RUPIAH, "hari_kerja": COUNT, "hari_hadir": COUNT, "hari_tk": COUNT,
    "hari_cuti_izin": COUNT, "hari_tl": COUNT, "hari_psw": COUNT, "persen_tk": PERCENT,
    "persen_tl": PERCENT, "persen_psw": PERCENT, "hari_menunggu": COUNT,
    "bagian_disiplin": RUPIAH, "potongan_disiplin": RUPIAH, "kinerja_dibayar": RUPIAH,
    "nilai_kinerja": PERCENT, "persen_sanksi": PERCENT, "potongan_sanksi": RUPIAH,
}  # fmt: skip
ADJUSTMENT_FORMATS = {2: TEXT, 7: RUPIAH, 8: RUPIAH, 9: RUPIAH}  # by 1-based column
REKAP_FORMATS = {3: COUNT, 4: RUPIAH, 5: RUPIAH, 6: RUPIAH, **{c: COUNT for c in range(7, 13)}}


@dataclass
class WorkbookInput:
    month_text: str
    status: str
    regency_name: str
    rows: list[DeductionRow]
    adjustments: list[AdjustmentRow]
    opd_totals: list[OpdTotal]
    total: OpdTotal
    total_adjustment: int
    to_pay: int
    checksum: str
    dialect: CsvDialect


def _display_width(value: Any, number_format: str) -> int:
    """About how many characters a cell shows (rupiah with its dots and the `Rp ` prefix)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int) and number_format == RUPIAH:
        return len(f"{value:,}") + 3
    if isinstance(value, (int, float, Decimal)) and number_format == PERCENT:
        return len(f"{Decimal(value):.2f}") + 2
    return max(len(line) for line in str(value).splitlines()) if str(value) else 0


class Workbook:
    def __init__(self, data: WorkbookInput) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook

        self.data = data
        self.draft = data.status != "FINAL"
        self.wb = OpenpyxlWorkbook()
        self.wb.remove(self.wb.active)  # type: ignore[arg-type]
        self._deductions()
        self._adjustments()
        self._rekap()
        self._checksum()

    def save(self, out: Path) -> None:
        self.wb.save(out)

    # ---- the parts every sheet shares --------------------------------------------------------------
    def _title(self) -> str:
        regency = self.data.regency_name or "Pemerintah Daerah"
        return f"Potongan Tunjangan Pegawai - {regency}"

    def _month(self) -> str:
        return month_label(parse_month(self.data.month_text))

    def _sheet(self, name: str, subtitle: str) -> Worksheet:
        from openpyxl.styles import Font, PatternFill

        ws = self.wb.create_sheet(name)
        ws["A1"] = self._title()
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = f"Bulan {self._month()} ({self.data.month_text}) - {subtitle}"
        ws["A2"].font = Font(bold=True)
        if self.draft:
            ws["A3"] = DRAFT_BANNER
            ws["A3"].font = Font(bold=True, color="FFFFFF", size=12)
            ws["A3"].fill = PatternFill("solid", fgColor=RED)
            ws.sheet_properties.tabColor = RED
        else:
            ws["A3"] = "STATUS: FINAL (bulan sudah dikunci dalam tutup buku bulanan)"
            ws["A3"].font = Font(bold=True, color="006100")
        # printed pages: the status on every page, the header row repeated, one page wide
        header = self.wb_print_header()
        for page_header in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
            page_header.center.text = header
            page_header.center.size = 14 if self.draft else 10
            page_header.center.font = "Calibri,Bold"
            if self.draft:
                page_header.center.color = RED
            page_header.right.text = "Halaman &P dari &N"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return ws

    def wb_print_header(self) -> str:
        month = f"{self._month()}"
        if self.draft:
            return f"{DRAFT_PRINT_HEADER} - {month}"
        return f"{self._title()} - {month} - FINAL"

    def _table(
        self,
        ws: Worksheet,
        headings: list[str],
        rows: list[list[Any]],
        formats: dict[int, str],
        freeze_column: str,
    ) -> None:
        """Header at HEADER_ROW, then `rows`; formats by 1-based column; frozen, filtered, widths fitted."""
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        for col, heading in enumerate(headings, start=1):
            cell = ws.cell(row=HEADER_ROW, column=col, value=heading)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [min(len(h), 18) for h in headings]  # headings wrap beyond 18 characters
        for r, values in enumerate(rows, start=HEADER_ROW + 1):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col, value=value)
                number_format = formats.get(col)
                if number_format:
                    cell.number_format = number_format
                widths[col - 1] = max(widths[col - 1], _display_width(value, number_format or ""))
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
        last = HEADER_ROW + max(len(rows), 1)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headings))}{last}"
        ws.freeze_panes = f"{freeze_column}{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        # headings wrap onto up to three lines: the row is made tall enough (spreadsheets do not grow it)
        longest = max(len(h) for h in headings)
        ws.row_dimensions[HEADER_ROW].height = 15 * min(3, 1 + longest // 18)
        # the title block spans the table: the DRAF banner is one red band over every column
        last_column = get_column_letter(max(len(headings), 6))
        for r in (1, 2, 3):
            ws.merge_cells(f"A{r}:{last_column}{r}")
            ws.cell(row=r, column=1).alignment = Alignment(horizontal="left", vertical="center")
        ws.row_dimensions[3].height = 20

    # ---- the sheets ---------------------------------------------------------------------------------
    def _deductions(self) -> None:
        ws = self._sheet("Potongan", "potongan per pegawai")
        formats = {
            i + 1: DEDUCTION_FORMATS[c] for i, c in enumerate(DEDUCTION_COLUMNS) if c in DEDUCTION_FORMATS
        }
        self._table(ws, DEDUCTION_HEADINGS, [r.values() for r in self.data.rows], formats, "D")
        if self.data.rows and self.data.rows[0].hari_tl is None:
            ws.cell(
                row=4, column=1, value="Rincian TL/PSW/TK kosong: login ini tidak dapat membaca data harian"
            )

    def _adjustments(self) -> None:
        ws = self._sheet("Penyesuaian", "koreksi bulan terkunci yang dibayar bulan ini")
        rows = [a.cells() for a in self.data.adjustments]
        self._table(ws, ADJUSTMENT_HEADINGS, rows, ADJUSTMENT_FORMATS, "D")
        if not rows:
            ws.cell(row=4, column=1, value="Tidak ada penyesuaian bulan ini.")

    def _rekap(self) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        ws = self._sheet("Rekap OPD", "total per OPD")
        rows = [[t.kode_opd, t.nama_opd, t.pegawai, *t.sums] for t in self.data.opd_totals]
        self._table(ws, REKAP_HEADINGS, rows, REKAP_FORMATS, "C")
        # the regency total and what is paid sit below the filtered table, each labelled
        r = HEADER_ROW + len(rows) + 2
        total = self.data.total
        for col, value in enumerate(["TOTAL", "Seluruh OPD", total.pegawai, *total.sums], start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.font = Font(bold=True)
            if col in REKAP_FORMATS:
                cell.number_format = REKAP_FORMATS[col]
            # the regency's sums are the widest numbers: never ##### or 1,66E+09
            letter = get_column_letter(col)
            shown = _display_width(value, REKAP_FORMATS.get(col, "")) + 2
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, shown)
        assert len(SUMMED) + 3 == len(REKAP_HEADINGS)
        for offset, (label, value) in enumerate(
            [
                ("Total tunjangan diterima", total.sums[SUMMED.index("tunjangan_diterima")]),
                ("Total penyesuaian (bulan terkunci sebelumnya)", self.data.total_adjustment),
                ("TOTAL DIBAYAR bulan ini", self.data.to_pay),
            ],
            start=2,
        ):
            ws.cell(row=r + offset, column=2, value=label).font = Font(bold=True)
            cell = ws.cell(row=r + offset, column=6, value=value)
            cell.number_format = RUPIAH
            cell.font = Font(bold=True)

    def _checksum(self) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        d = self.data
        ws = self._sheet("Checksum", "jumlah dan checksum")
        sep_name = "titik koma" if d.dialect.sep == ";" else "koma"
        pairs: list[tuple[str, Any, str]] = [
            ("BULAN", d.month_text, TEXT),
            ("STATUS", d.status, TEXT),
            ("JUMLAH_BARIS_DATA", len(d.rows), COUNT),
            ("JUMLAH_BARIS_PENYESUAIAN", len(d.adjustments), COUNT),
            ("TOTAL_POTONGAN", d.total.sums[1], RUPIAH),
            ("TOTAL_PENYESUAIAN", d.total_adjustment, RUPIAH),
            ("TOTAL_DIBAYAR", d.to_pay, RUPIAH),
            ("CHECKSUM_SHA256", d.checksum, TEXT),
            ("PEMISAH_CSV", d.dialect.sep, TEXT),
            ("DESIMAL_CSV", d.dialect.decimal, TEXT),
            (
                "CARA_VERIFIKASI",
                f"absensi export verify BERKAS.xlsx, atau untuk CSV-nya: grep -E "
                f"'^(DATA|PENYESUAIAN){d.dialect.sep}' BERKAS.csv | sha256sum (SHA-256 atas baris DATA "
                f"lalu PENYESUAIAN dalam CSV, pemisah {sep_name})",
                TEXT,
            ),
        ]
        if self.draft:
            pairs.append(("PERINGATAN", "DRAF: bulan belum dikunci, jangan dipakai untuk pembayaran", TEXT))
        ws.cell(row=HEADER_ROW, column=1, value="Keterangan").font = Font(bold=True)
        ws.cell(row=HEADER_ROW, column=2, value="Nilai").font = Font(bold=True)
        for r, (key, value, number_format) in enumerate(pairs, start=HEADER_ROW + 1):
            ws.cell(row=r, column=1, value=key)
            cell = ws.cell(row=r, column=2, value=value)
            cell.number_format = number_format
        for r in (1, 2, 3):
            ws.merge_cells(f"A{r}:B{r}")
        ws.row_dimensions[3].height = 20
        ws.column_dimensions[get_column_letter(1)].width = 28
        ws.column_dimensions[get_column_letter(2)].width = 70
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
