"""Every card's SQL, run as Metabase runs it (filters filled, and with none), against a real warehouse
built from generated data; each returns rows carrying the columns its visualization names."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from dashboards.marts import run_card
from dashboards.spec import load_specs
from tests.dashboards.conftest import OPEN_MONTH

CARDS = [(d, c) for d in load_specs() for c in d.cards]
MONTH = date.fromisoformat(f"{OPEN_MONTH}-01")


@pytest.fixture(scope="module")
def conn(warehouse):
    with psycopg.connect(warehouse.url, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def filled(conn) -> dict:
    """Filter values that select real data: the open month, a busy OPD, a day with someone absent."""
    opd = conn.execute(
        """select opd_code from marts.fct_attendance_daily where status = 'TK'
           group by opd_code order by count(*) desc, opd_code limit 1"""
    ).fetchone()[0]
    day = conn.execute(
        """select work_date from marts.fct_attendance_daily
           where status = 'TK' and opd_code = %s and first_in is null and last_out is null
             and work_date >= %s order by work_date limit 1""",
        (opd, MONTH),
    ).fetchone()[0]
    return {"bulan": MONTH, "opd": opd, "tanggal": day, "tahun": MONTH.year}


@pytest.mark.parametrize(("dashboard", "card"), CARDS, ids=[f"{d.key}/{c.key}" for d, c in CARDS])
def test_card_returns_rows_with_its_visualization_columns(conn, filled, dashboard, card):
    values = {tag: filled[tag] for tag in card.tags}
    if "fct_allowance_adjustment" in card.sql:  # the one correction of the test data (see conftest)
        values["opd"] = conn.execute(
            "select opd_code from marts.fct_allowance_adjustment where month = %s", (MONTH,)
        ).fetchone()[0]
    if "mart_ingest_batch" in card.sql:  # the one retracted batch of the test data (see conftest)
        values["opd"] = conn.execute(
            "select h.opd_code from marts.mart_ingest_batch b join marts.mart_device_health h using (device_sn)"
            " where b.state = 'retracted'"
        ).fetchone()[0]
    with conn.transaction(force_rollback=True):
        if card.key == "selisih_jam":  # USB imports measure no skew: as a pull would have, for this test
            _measure_skew(conn, 42)
        columns, rows = run_card(conn, card, values)
        assert set(card.visual_columns) <= set(columns), f"missing {set(card.visual_columns) - set(columns)}"
        assert rows, f"{card.name} returned no rows for {values}"
        # with no filter at all (Metabase's first view) the card still runs and fills the same columns
        columns_none, rows_none = run_card(conn, card, {})
        assert set(card.visual_columns) <= set(columns_none) and rows_none


def _measure_skew(conn, seconds: int, device: str | None = None) -> None:
    """Inside a rolled-back transaction: the skew a pull would have measured (raw is append-only, so
    the test steps past its triggers for this one update)."""
    conn.execute("set local session_replication_role = replica")
    conn.execute(
        "update raw.ingest_batch set clock_skew_seconds = %s where kind <> 'push' and device_sn = coalesce(%s, device_sn)",
        (seconds, device),
    )


def test_clock_skew_chart_leaves_out_unmeasured_devices_and_names_machines(conn):
    card = _card("kesehatan_mesin/selisih_jam")
    assert run_card(conn, card, {})[1] == []  # the test data's USB imports measure no skew
    with conn.transaction(force_rollback=True):
        device, name = conn.execute(
            "select device_sn, device_name from marts.mart_device_health order by device_sn limit 1"
        ).fetchone()
        _measure_skew(conn, -400, device)
        columns, rows = run_card(conn, card, {})
    assert rows == [(f"{name} ({device})", -400)]


def _card(key: str):
    dash_key, card_key = key.split("/")
    return next(c for d, c in CARDS if d.key == dash_key and c.key == card_key)


def test_opd_filter_restricts_and_month_filter_selects(conn, filled):
    columns, rows = run_card(conn, _card("potongan_tunjangan/tabel_potongan_opd"), filled)
    assert [r[columns.index("kode_opd")] for r in rows] == [filled["opd"]]
    expected = conn.execute(
        """select count(*), sum(base_amount), sum(deduction_amount), sum(net_amount)
           from marts.fct_allowance_deduction_monthly where month = %s and opd_code = %s""",
        (MONTH, filled["opd"]),
    ).fetchone()
    row = rows[0]
    got = tuple(
        row[columns.index(c)]
        for c in ("jumlah_pegawai", "total_tunjangan", "total_potongan", "total_dibayar")
    )
    assert got == expected


def test_scalars_match_the_marts(conn, filled):
    month_only = {"bulan": MONTH}
    total = run_card(conn, _card("potongan_tunjangan/total_potongan"), month_only)[1][0][0]
    assert (
        total
        == conn.execute(
            "select sum(deduction_amount) from marts.fct_allowance_deduction_monthly where month = %s",
            (MONTH,),
        ).fetchone()[0]
    )
    status = run_card(conn, _card("potongan_tunjangan/status_kunci_bulan"), month_only)[1][0][0]
    assert status == "DRAF"
    assert run_card(conn, _card("potongan_tunjangan/status_kunci_bulan"), {"bulan": date(2026, 8, 1)})[1][0][
        0
    ] == ("FINAL")


def test_not_punched_list_is_exactly_the_tk_rows_of_that_day(conn, filled):
    columns, rows = run_card(conn, _card("kehadiran_harian/belum_absen_tanggal"), filled)
    expected = conn.execute(
        """select nip from marts.fct_attendance_daily where work_date = %s and opd_code = %s
           and status = 'TK' and first_in is null and last_out is null order by nip""",
        (filled["tanggal"], filled["opd"]),
    ).fetchall()
    assert sorted(r[columns.index("nip")] for r in rows) == [e[0] for e in expected]
