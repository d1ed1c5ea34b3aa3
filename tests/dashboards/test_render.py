"""Offline render: static HTML and PNG charts from the warehouse, no network."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from dashboards.labels import is_human, label
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
            if c.key == "selisih_jam":  # USB imports measure no clock skew: no bars, said so
                card = page.split(f"id='{c.key}'")[1].split("</section>")[0]
                assert "Tidak ada baris." in card and "<img" not in card
            elif c.display not in ("table", "scalar"):
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
    assert f"Filter — Bulan: Agustus 2026, OPD: {name} ({opd})" in page
    assert "Bulan Agustus 2026: " in page and "hari kerja, 3 s.d. 31 Agustus 2026" in page
    bad = run_cli("dashboards", "render", "--out", out, "--date", "2026-02-30")
    assert bad.exit_code == 2 and "2026-02-30" in bad.stderr
    # the OPD by its name (any case) shows the same page
    by_name = tmp_path / "n"
    r = run_cli("dashboards", "render", "--out", by_name, "--month", "2026-08", "--opd", name.upper())
    assert r.exit_code == 0, r.output
    assert f"<div class='scalar'>{fmt(total)}</div>" in (by_name / "potongan_tunjangan.html").read_text()


def test_unknown_filter_values_are_refused_in_indonesian(warehouse, run_cli, monkeypatch, tmp_path):
    """An unknown OPD, or a month/date without data, is one Indonesian line and no pages (never a set of
    empty cards that look like a regency without absences)."""
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    out = tmp_path / "x"
    r = run_cli("dashboards", "render", "--out", out, "--opd", "XYZ")
    assert r.exit_code == 2 and "OPD 'XYZ' tidak dikenal" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()
    r = run_cli("dashboards", "render", "--out", out, "--month", "2025-01")
    assert (
        r.exit_code == 2 and "tidak ada data untuk bulan 2025-01" in r.stderr and "Agustus 2026" in r.stderr
    )
    r = run_cli("dashboards", "render", "--out", out, "--date", "2026-09-06")  # a Sunday
    assert r.exit_code == 2 and "2026-09-06" in r.stderr and not out.exists()


def test_every_page_names_its_period_and_every_label_is_human(warehouse, run_cli, monkeypatch, tmp_path):
    """Each page says which month and workdays (or date, year) it shows; the render time is in the
    regency's zone with its name; table headers are labels, not column names; charts are sized to
    their rows (a top-N chart of many OPDs stays short) with a note of what was left out."""
    import re
    from html.parser import HTMLParser

    from PIL import Image

    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    out = tmp_path / "p"
    assert run_cli("dashboards", "render", "--out", out).exit_code == 0
    expected = {
        "peringkat_disiplin_opd": "Bulan September 2026: 22 hari kerja, 1 s.d. 30 September 2026",
        "potongan_tunjangan": "Bulan September 2026: 22 hari kerja, 1 s.d. 30 September 2026",
        "kehadiran_harian": "Tanggal terpilih: Rabu, 30 September 2026",
        "sanksi_disiplin": "Tahun 2026 (TK dihitung sampai September 2026)",
        "kesehatan_mesin": "data absensi sampai Rabu, 30 September 2026",
        "koreksi_izin": "Bulan September 2026: 22 hari kerja, 1 s.d. 30 September 2026",
    }

    class Headers(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.found = False, []

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "th"

        def handle_data(self, data):
            if self.inside and data.strip():
                self.found.append(data.strip())

    for d in load_specs():
        page = (out / f"{d.key}.html").read_text(encoding="utf-8")
        assert "<p class='period'>" in page and expected[d.key] in page, d.key
        assert "bulan terakhir</" not in page and "Bulan: bulan terakhir" not in page
        assert re.search(r"Dibuat \d{4}-\d\d-\d\d \d\d:\d\d WIB", page)
        parser = Headers()
        parser.feed(page)
        assert parser.found and all(is_human(h) for h in parser.found), (d.key, parser.found)
    # the 4-device warehouse draws every row; a chart's height follows its rows, legends sit outside
    png = out / "img" / "peringkat_disiplin_opd__grafik_peringkat_opd.png"
    with Image.open(png) as image:
        assert image.size[1] < 110 * (1.0 + 0.2 * 5 * 1.5 + 1)  # five OPDs: well under a screen


def test_every_card_label_is_human_text_in_specs_and_metabase():
    """Every column a card shows has a Bahasa Indonesia label (no snake_case), and the Metabase card
    built from the same spec carries it as the column title and series name."""
    import json

    for d in load_specs():
        assert all(" " in f.name or f.name[0].isupper() for f in d.filters)
        for c in d.cards:
            settings = c.visualization_settings()
            for col in c.visual_columns:
                text = label(col)
                assert is_human(text) and text != col, (c.key, col, text)
                key = json.dumps(["name", col], separators=(",", ":"))
                assert settings["column_settings"][key] == {"column_title": text}
            if c.display in ("bar", "row", "line"):
                assert {y: s["title"] for y, s in settings["series_settings"].items()} == {
                    y: label(y) for y in c.y
                }
                assert is_human(settings["graph.x_axis.title_text"])


def test_chart_of_many_rows_draws_top_and_bottom_and_says_so(tmp_path):
    """71 OPDs: the ranking chart draws the best 10 and the worst 10, its height follows those 20
    rows (no 3,000-px image), and the labels and legend are human text."""
    from PIL import Image

    from dashboards.render import chart_rows, draw_chart

    card = next(c for d in load_specs() for c in d.cards if c.key == "grafik_peringkat_opd")
    rows = [
        (i + 1, f"Dinas Nomor {i + 1} Kabupaten", Decimal(100 - i / 2), Decimal(90 - i / 3))
        for i in range(71)
    ]
    columns = ["peringkat", "nama_opd", "tingkat_kehadiran", "tingkat_tepat_waktu"]
    drawn, left_out = chart_rows(card, rows)
    assert left_out == 51 and [r[0] for r in drawn] == [*range(1, 11), *range(62, 72)]
    png = tmp_path / "c.png"
    assert draw_chart(card, columns, rows, png) == 51
    with Image.open(png) as image:
        assert 300 < image.size[1] < 900, image.size
