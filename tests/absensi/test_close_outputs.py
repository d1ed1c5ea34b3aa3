"""The close checks its outputs before it builds or locks anything, and OPD names that look like
matplotlib mathtext (`$…$`) are drawn as text in the dashboards and the PDF (#16 item 11)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from absensi.edge import resolve
from absensi.orchestration.monthly import lock
from dashboards.render import draw_chart
from dashboards.report import Section, _ranking_chart
from dashboards.spec import load_specs
from ingest.folder import load_generated_regency
from ingest.generator import generate
from warehouse.errors import UserError

SEPTEMBER = date(2026, 9, 1)
# "$\foo$" is an unknown mathtext command: unescaped, matplotlib raises and nothing is drawn.
MATHTEXT_NAMES = [r"Dinas $\foo$ Uji", "Badan $x^2$ dan $", "$$", r"Kantor \$ lama"]


def _one_line(result) -> str:
    assert "Traceback" not in result.output, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def _no_lock(url: str) -> None:
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from ops.month_lock").fetchone() == (0,)


def test_close_month_out_an_existing_file_is_refused_before_the_build(db_url, run_cli, tmp_path):
    existing = tmp_path / "laporan.pdf"
    existing.write_bytes(b"lama")
    result = run_cli("close-month", "2026-09", "--out", existing)
    assert result.exit_code == 2
    assert f"{existing} (--out): sudah ada sebagai berkas, bukan folder" in _one_line(result)
    assert "1/4 build penuh" not in result.stdout  # refused before any step ran
    assert existing.read_bytes() == b"lama"
    _no_lock(db_url)


def test_close_month_output_name_taken_by_a_folder_is_refused(db_url, run_cli, tmp_path):
    (tmp_path / "out" / "potongan_tunjangan_2026-09.csv").mkdir(parents=True)
    result = run_cli("close-month", "2026-09", "--out", tmp_path / "out")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "potongan_tunjangan_2026-09.csv (keluaran tutup bulan): itu folder" in line
    assert "1/4 build penuh" not in result.stdout
    _no_lock(db_url)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs (unwritable even for root)")
def test_lock_step_refuses_unwritable_outputs_before_locking(db_url, monkeypatch):
    """The DAG runs the lock as its own task: it checks the outputs too (ABSENSI_OUTPUT here)."""
    monkeypatch.setenv("ABSENSI_OUTPUT", "/sys/kernel/absensi")
    with pytest.raises(UserError, match=r"/sys/kernel/absensi/2026-09 \(--out\): tidak bisa ditulis"):
        lock(resolve(), SEPTEMBER, datetime.now(UTC))
    _no_lock(db_url)


@pytest.mark.parametrize("name", MATHTEXT_NAMES)
def test_every_chart_draws_mathtext_like_names_as_text(tmp_path, name):
    cards = [c for d in load_specs() for c in d.cards if c.display in ("bar", "row", "line", "pie")]
    assert cards
    for card in cards:
        columns = [card.x, *card.y]
        rows = [(name, *([3] * len(card.y))), ("Dinas Biasa", *([5] * len(card.y)))]
        path = tmp_path / f"{card.key}.png"
        draw_chart(card, columns, rows, path)
        assert path.stat().st_size > 1000, card.key
    section = Section(
        ["peringkat", "nama_opd", "tingkat_kehadiran", "tingkat_tepat_waktu"], [(1, name, 90.0, 80.0)]
    )
    assert _ranking_chart(section) is not None


@pytest.mark.slow
def test_close_month_and_render_with_a_mathtext_opd_name(db_url, run_cli, tmp_path, monkeypatch):
    """A whole past month whose first OPD is named like mathtext: the close locks, writes the
    export and the PDF, and the offline dashboards render."""
    folder = tmp_path / "regency"
    generate(folder, employees=20, devices=2, start=SEPTEMBER, days=30, seed=3)
    opd_file = folder / "opd.csv"
    with opd_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["nama_opd"] = MATHTEXT_NAMES[0]
    with opd_file.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with psycopg.connect(db_url, autocommit=True) as conn:
        load_generated_regency(conn, folder)
    out = tmp_path / "out"
    result = run_cli("close-month", "2026-09", "--out", out)
    assert result.exit_code == 0, result.output
    pdf = out / "laporan_disiplin_2026-09.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and (out / "potongan_tunjangan_2026-09.xlsx").is_file()
    rendered = run_cli("dashboards", "render", "--out", tmp_path / "dasbor", "--month", "2026-09")
    assert rendered.exit_code == 0, rendered.output
    charts = {p.name for p in (tmp_path / "dasbor" / "img").glob("*.png")}
    assert any(name.endswith("__grafik_peringkat_opd.png") for name in charts), charts
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "dasbor").glob("*.html"))
    assert "Dinas $\\foo$ Uji" in pages
