"""A build that stops between two dbt models (issue 16 item 8), on a real PostgreSQL and real dbt:
after fct_attendance_daily recomputed a month but before int_attendance_monthly did, the watermark
(ops.transform_state) has not moved, so the next ordinary hourly build repairs the month (the GX
check monthly_matches_daily passes again) and every mart equals a full refresh."""

from __future__ import annotations

import csv
from datetime import date

import psycopg
import pytest

from absensi.transform import run_build
from expectations.gate import decide
from expectations.runner import run_checks
from ingest.folder import load_generated_regency
from ingest.generator import generate
from ingest.reference import load_reference_file
from tests.conftest import resolved_settings
from warehouse.errors import UserError

SEPT = date(2026, 9, 1)
WINDOW = {"attendance_start": "2026-09-01", "attendance_end": "2026-10-31"}  # September is past the lookback

MARTS = {
    "daily": "select * from marts.fct_attendance_daily order by nip, work_date",
    "monthly": "select * from intermediate.int_attendance_monthly order by nip, month",
    "deduction": "select * from marts.fct_allowance_deduction_monthly order by nip, month",
}


def _marts(conn) -> dict[str, list[tuple]]:
    return {name: conn.execute(sql).fetchall() for name, sql in MARTS.items()}


def _state(conn) -> tuple:
    return conn.execute("select last_batch_id, updated_at from ops.transform_state").fetchone()


def _monthly_gate_failures(url: str) -> list[str]:
    run = run_checks(url, SEPT, timezone=resolved_settings().timezone, store=False)
    return [r for r in decide(run).reasons if "monthly_matches_daily" in r]


def _late_sick_letter(conn, tmp_path, name: str, skip: set[str]) -> tuple[str, date]:
    """A SAKIT letter for one TK day of September (of an employee not in `skip`), loaded as a batch."""
    nip, day = conn.execute(
        "select nip, work_date from marts.fct_attendance_daily where status = 'TK' and work_date < '2026-10-01'"
        " and nip <> all(%s) order by nip, work_date limit 1",
        (list(skip),),
    ).fetchone()
    path = tmp_path / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["nip", "jenis", "mulai", "sampai", "nomor_surat"])
        writer.writerow([nip, "SAKIT", day.isoformat(), day.isoformat(), f"SKS/{name}"])
    load_reference_file(conn, "leave", path)
    return nip, day


def _status(conn, nip: str, day: date) -> str:
    return conn.execute(
        "select status from marts.fct_attendance_daily where nip = %s and work_date = %s", (nip, day)
    ).fetchone()[0]


def _tk_days(conn, nip: str) -> int:
    return conn.execute(
        "select days_tk from intermediate.int_attendance_monthly where nip = %s and month = %s", (nip, SEPT)
    ).fetchone()[0]


@pytest.mark.slow
def test_a_build_stopped_between_two_models_is_repaired_by_the_next_hourly_build(db_url, conn, tmp_path):
    folder = tmp_path / "regency"
    generate(folder, employees=24, devices=2, start=SEPT, days=61, seed=5)
    with psycopg.connect(db_url, autocommit=True) as own:
        load_generated_regency(own, folder)
    settings = resolved_settings()
    run_build(db_url, settings, vars=WINDOW, full_refresh=True, unit_tests=False)
    assert _monthly_gate_failures(db_url) == []
    watermark = _state(conn)

    # 1. The build stops after fct_attendance_daily (the models up to it were built, as by a kill
    #    before int_attendance_monthly started; the views in between read their tables live).
    first, first_day = _late_sick_letter(conn, tmp_path, "leave1", set())
    tk_before = _tk_days(conn, first)
    up_to_the_facts = "int_attendance_touched+,+fct_attendance_daily"  # touched .. the facts
    run_build(db_url, settings, select=up_to_the_facts, vars=WINDOW, unit_tests=False)
    assert (
        _status(conn, first, first_day) == "SAKIT" and _tk_days(conn, first) == tk_before
    )  # the month is stale ...
    assert _monthly_gate_failures(db_url)  # ... and the gate says so
    assert _state(conn) == watermark  # the watermark did not move

    # 2. The next build fails in int_attendance_monthly (its table is locked by someone else): the
    #    daily facts are recomputed again, the watermark still does not move.
    second, second_day = _late_sick_letter(conn, tmp_path, "leave2", {first})
    tk_second = _tk_days(conn, second)
    conn.execute(f"alter database \"{conn.info.dbname}\" set lock_timeout = '2s'")
    try:
        with psycopg.connect(db_url) as blocker:
            blocker.execute("lock table intermediate.int_attendance_monthly in access exclusive mode")
            with pytest.raises(UserError, match="int_attendance_monthly"):
                run_build(db_url, settings, vars=WINDOW, unit_tests=False)
            blocker.rollback()
    finally:
        conn.execute(f'alter database "{conn.info.dbname}" reset lock_timeout')
    assert _status(conn, second, second_day) == "SAKIT"
    assert _tk_days(conn, first) == tk_before and _tk_days(conn, second) == tk_second
    assert _state(conn) == watermark

    # 3. The next ordinary hourly build repairs the month: it touches again what the stopped runs
    #    touched, the gate passes, the watermark moves.
    run_build(db_url, settings, vars=WINDOW, unit_tests=False)
    carried = conn.execute(
        "select count(*) from intermediate.int_attendance_touched where touched_by = 'unfinished'"
    ).fetchone()[0]
    assert carried > 0  # the stopped run's ranges, carried over
    assert _tk_days(conn, first) == tk_before - 1 and _tk_days(conn, second) == tk_second - 1
    assert _monthly_gate_failures(db_url) == []
    moved = _state(conn)
    assert moved[0] >= watermark[0] and moved[1] > watermark[1]
    incremental = _marts(conn)

    # 4. The same marts as a full refresh.
    run_build(db_url, settings, vars=WINDOW, full_refresh=True, unit_tests=False)
    assert _marts(conn) == incremental
