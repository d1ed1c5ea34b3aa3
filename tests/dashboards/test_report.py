"""The monthly PDF: text extracted with pypdf and checked against the marts."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from pypdf import PdfReader

from dashboards.render import fmt
from tests.dashboards.conftest import LOCKED_MONTH, OPEN_MONTH


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_report_figures_match_the_marts(warehouse, run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    out = tmp_path / "laporan.pdf"
    r = run_cli("report", "monthly", "--month", OPEN_MONTH, "--out", out)
    assert r.exit_code == 0, r.output
    text = _text(out)
    month = date.fromisoformat(f"{OPEN_MONTH}-01")
    with psycopg.connect(warehouse.url) as conn:
        n, deduction, net, tk = conn.execute(
            """select count(*), sum(deduction_amount), sum(net_amount), sum(days_tk)
               from marts.fct_allowance_deduction_monthly where month = %s""",
            (month,),
        ).fetchone()
        worst_nip = conn.execute(
            """select nip from marts.fct_allowance_deduction_monthly where month = %s
               order by days_tk desc, nip limit 1""",
            (month,),
        ).fetchone()[0]
        best_opd = conn.execute(
            "select nama_opd from marts.mart_opd_discipline_monthly where month = %s order by discipline_rank, opd_code limit 1",
            (month,),
        ).fetchone()[0]
    assert "Laporan Disiplin Pegawai ASN" in text and "September 2026" in text
    assert f"Jumlah pegawai\n{fmt(n)}" in text
    assert f"Total potongan\nRp {fmt(deduction)}" in text
    assert f"Total tunjangan dibayar\nRp {fmt(net)}" in text
    with psycopg.connect(warehouse.url) as conn:
        adjustment = conn.execute(
            "select sum(adjustment_amount) from marts.fct_allowance_adjustment where month = %s", (month,)
        ).fetchone()[0]
    assert f"sebelumnya (1 baris)\nRp {fmt(adjustment)}" in text
    assert f"Total dibayar bulan ini\nRp {fmt(net - adjustment)}" in text
    assert f"(TK)\n{fmt(tk)}" in text
    assert worst_nip in text and best_opd in text
    assert "DRAF" in text and "Data belum tersedia" not in text
    assert "Mutu data: belum diperiksa" in text  # no quality run stored for September
    assert "PP 94/2021" in text and "Kesehatan mesin absensi" in text
    # no roster in this regency: the shift section is one line (tests/dashboards/test_shift_outputs.py)
    from dashboards.report import NO_SHIFTS

    assert f"Dinas shift September 2026\n{NO_SHIFTS}\n" in text


def test_locked_month_says_so_and_shows_the_quality_gate_verdict(warehouse, tmp_path):
    """A stored quality run for the month (quality.* of the gate) reaches the report with what failed."""
    import uuid

    from dashboards.report import build_monthly_report
    from warehouse.months import parse_month

    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        run_id = uuid.uuid4()
        conn.execute(
            """insert into quality.run (run_id, started_at, month, marts_schema, publishable, expectations,
                                        failed_blocking, failed_warning, gx_version)
               values (%s, now(), '2026-08-01', 'marts', false, 41, 1, 2, 'test')""",
            (run_id,),
        )
        conn.execute(
            """insert into quality.result (run_id, suite, asset, expectation, expectation_type, severity,
                                           success, description)
               values (%s, 'marts', 'marts.fct_attendance_daily', 'daily_grain_unique',
                       'ExpectCompoundColumnsToBeUnique', 'critical', false, 'satu baris per pegawai per hari')""",
            (run_id,),
        )
    out = build_monthly_report(
        parse_month(LOCKED_MONTH), tmp_path / "agustus.pdf", warehouse.url, "Asia/Jakarta"
    )
    text = _text(out)
    assert "Agustus 2026" in text and "FINAL" in text
    assert "BLOKIR" in text and "41 pemeriksaan, 1 gagal kritis, 2 peringatan" in text
    assert "marts.fct_attendance_daily: satu baris per pegawai per hari" in text


def test_report_pages_render_to_png_with_ink(warehouse, tmp_path):
    """Rasterise every page (PDFium): the PDF is well-formed and no page is blank."""
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (dev extra) not installed: make setup")
    from dashboards.report import build_monthly_report
    from warehouse.months import parse_month

    out = build_monthly_report(
        parse_month(OPEN_MONTH), tmp_path / "laporan.pdf", warehouse.url, "Asia/Jakarta"
    )
    document = pdfium.PdfDocument(out)
    assert len(document) >= 2
    for index in range(len(document)):
        image = document[index].render(scale=0.5).to_pil().convert("L")
        png = tmp_path / f"page{index}.png"
        image.save(png)
        assert png.read_bytes()[:4] == b"\x89PNG"
        dark = sum(image.histogram()[:128])  # pixels darker than mid-grey: text, tables, bars
        assert dark > 20, f"page {index + 1} is blank"


def test_sanctions_in_a_report_count_tk_only_up_to_its_month(warehouse):
    from dashboards.report import sanctions_as_of

    with psycopg.connect(warehouse.url) as conn:
        august = sanctions_as_of(conn, date(2026, 8, 1))
        september = sanctions_as_of(conn, date(2026, 9, 1))
        assert august.error is None and september.error is None
        # for the latest month it is exactly the sanction mart
        mart = conn.execute(
            """select nip, tk_days, sanction_level from marts.mart_discipline_sanction
               where year = 2026 and sanction_level > 0 order by nip"""
        ).fetchall()
        assert sorted((r[0], r[3], r[4]) for r in september.rows) == mart
        # for August (the first month of data) only August's TK days count; level 1 starts at 3 days
        august_tk = dict(
            conn.execute(
                """select m.nip, m.days_tk from marts.fct_allowance_deduction_monthly m
                     join staging.stg_raw__employees e using (nip)
                    where m.month = '2026-08-01' and e.jenis_pegawai in ('PNS', 'CPNS')"""
            ).fetchall()
        )
    assert {r[0]: r[3] for r in august.rows} == {nip: tk for nip, tk in august_tk.items() if tk >= 3}
    september_tk = {r[0]: r[3] for r in september.rows}
    assert any(tk < september_tk[nip] for nip, tk in ((r[0], r[3]) for r in august.rows))


def test_corrections_of_the_month_have_their_section(warehouse, tmp_path):
    """Issue 15: the report's "Koreksi dan izin" section counts the month's corrections per OPD and type
    (the dashboard's own card) and names the approvers."""
    from dashboards.report import build_monthly_report
    from warehouse.months import parse_month

    with psycopg.connect(warehouse.url) as conn:
        month = conn.execute(
            """select to_char(date_trunc('month', work_date), 'YYYY-MM') from marts.mart_correction_log
                where correction_status = 'DISETUJUI' group by 1 order by count(*) desc limit 1"""
        ).fetchone()[0]
        approved = conn.execute(
            """select distinct correction_type, disetujui_oleh from marts.mart_correction_log
                where correction_status = 'DISETUJUI' and to_char(work_date, 'YYYY-MM') = %s""",
            (month,),
        ).fetchall()
    assert approved
    text = " ".join(
        _text(
            build_monthly_report(parse_month(month), tmp_path / "k.pdf", warehouse.url, "Asia/Jakarta")
        ).split()
    )
    assert "Koreksi dan izin (moderasi)" in text
    for jenis, approver in approved:
        assert jenis in text
        assert " ".join(approver.split()) in text
