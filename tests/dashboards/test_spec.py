"""Spec loading/validation and the Metabase template expansion the render, report and tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards.spec import load_dashboard, load_specs
from dashboards.sqltemplate import to_psycopg
from warehouse.errors import UserError

EXPECTED = {
    "Peringkat Disiplin OPD",
    "Kehadiran Harian",
    "Potongan Tunjangan",
    "Sanksi Disiplin (PP 94/2021)",
    "Kesehatan Mesin Absensi",
    "Koreksi dan Izin",
}


def test_shipped_specs_load_and_cover_the_six_dashboards():
    specs = load_specs()
    assert {d.name for d in specs} == EXPECTED
    for d in specs:
        for c in d.cards:
            assert c.visual_columns, f"{d.key}/{c.key} names no columns"
            assert "marts." in c.sql


def test_optional_clause_dropped_without_value_and_kept_with_value():
    sql = "select 1 where x like '%a' [[ and opd = {{opd}} ]] [[ and m = {{bulan}} ]]"
    q, params = to_psycopg(sql, {"opd": "D01"})
    assert q == "select 1 where x like '%%a'  and opd = %(opd)s  "
    assert params == {"opd": "D01"}
    q, params = to_psycopg(sql, {})
    assert "opd" not in q and params == {}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "d.yml"
    path.write_text(text)
    return path


BASE = """
key: d
name: D
filters: [{tag: opd, name: OPD, kind: opd}]
cards:
  - key: a
    name: A
    display: table
    columns: [jumlah]
    layout: {row: 0, col: 0, width: 12, height: 4}
    sql: select 1 as jumlah where true [[ and o = {{opd}} ]]
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("display: table", "display: donut"), "display 'donut'"),
        (("width: 12", "width: 30"), "grid 24"),
        (("{{opd}}", "{{bulan}}"), "tanpa filter"),
        (("[[ and o = {{opd}} ]]", "and o = {{opd}}"), "klausa opsional"),
        (("    columns: [jumlah]\n", "    colums: [jumlah]\n"), "kunci tidak dikenal: colums"),
        (
            ("columns: [jumlah]", "columns: [jumlah, kolom_baru]"),
            "tanpa label di dashboards/labels.py: kolom_baru",
        ),
        (("kind: opd", "kind: region"), "jenis 'region'"),
    ],
)
def test_bad_spec_is_one_line_error_naming_file_and_card(tmp_path, change, message):
    assert load_dashboard(_write(tmp_path, BASE)).cards[0].key == "a"
    bad = _write(tmp_path, BASE.replace(*change))
    with pytest.raises(UserError, match="d.yml") as info:
        load_dashboard(bad)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_overlapping_cards_rejected(tmp_path):
    second = BASE.split("cards:\n")[1].replace("key: a", "key: b").replace("name: A", "name: B")
    with pytest.raises(UserError, match="bertumpuk"):
        load_dashboard(_write(tmp_path, BASE + second))
