"""Offline render: static HTML and PNG charts from the warehouse, no network."""

from __future__ import annotations

import psycopg

from dashboards.render import fmt
from dashboards.spec import load_specs


def test_render_writes_every_dashboard_with_charts_and_real_figures(
    warehouse, run_cli, monkeypatch, tmp_path
):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    out = tmp_path / "html"
    r = run_cli("dashboards", "render", "--out", out)
    assert r.exit_code == 0, r.output
    specs = load_specs()
    index = (out / "index.html").read_text(encoding="utf-8")
    for d in specs:
        page = (out / f"{d.key}.html").read_text(encoding="utf-8")
        assert f"{d.key}.html" in index and d.name.replace("(", "") in page.replace("(", "")
        assert "Data belum tersedia" not in page
        for c in d.cards:
            assert f"id='{c.key}'" in page
            if c.display not in ("table", "scalar"):
                png = out / "img" / f"{d.key}__{c.key}.png"
                assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with psycopg.connect(warehouse.url) as conn:
        latest_total = conn.execute(
            """select sum(deduction_amount) from marts.fct_allowance_deduction_monthly
               where month = (select max(month) from marts.fct_allowance_deduction_monthly)"""
        ).fetchone()[0]
    assert f"<div class='scalar'>{fmt(latest_total)}</div>" in (out / "potongan_tunjangan.html").read_text()


def test_render_all_function_takes_a_url(warehouse, tmp_path):
    from dashboards.render import render_all

    index = render_all(tmp_path / "o", warehouse.url, "Asia/Jakarta")
    assert index.name == "index.html" and index.exists()


def test_render_with_filters_shows_only_that_opd_and_month(warehouse, run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    with psycopg.connect(warehouse.url) as conn:
        opd, name, other = conn.execute(
            """select a.opd_code, a.nama_opd, b.nama_opd from marts.mart_opd_discipline_monthly a
               join marts.mart_opd_discipline_monthly b on b.month = a.month and b.opd_code <> a.opd_code
               where a.month = '2026-08-01' order by a.opd_code, b.opd_code limit 1"""
        ).fetchone()
        total = conn.execute(
            """select sum(deduction_amount) from marts.fct_allowance_deduction_monthly
               where month = '2026-08-01' and opd_code = %s""",
            (opd,),
        ).fetchone()[0]
    out = tmp_path / "f"
    r = run_cli("dashboards", "render", "--out", out, "--month", "2026-08", "--opd", opd)
    assert r.exit_code == 0, r.output
    page = (out / "potongan_tunjangan.html").read_text(encoding="utf-8")
    assert f"<div class='scalar'>{fmt(total)}</div>" in page
    assert name in page and other not in page
    assert "FINAL" in page  # August is locked
    assert f"Filter — Bulan: 2026-08, Kode OPD: {opd}" in page
    bad = run_cli("dashboards", "render", "--out", out, "--date", "2026-02-30")
    assert bad.exit_code == 2 and "2026-02-30" in bad.stderr
