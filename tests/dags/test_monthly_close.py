"""monthly_close through Airflow's `dag.test()`: the close locks the month, a re-run changes
nothing, and a late punch for the locked month becomes an adjustment, not a change."""

from __future__ import annotations

import csv
from datetime import date

import psycopg
import pytest

from absensi.edge import resolve
from absensi.orchestration import airflow_local
from absensi.orchestration.hourly import transform
from ingest.folder import load_generated_regency
from ingest.generator import generate
from ingest.usb import import_attlog

MONTH = date(2026, 10, 1)


def _rows(conn, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def _october(conn) -> tuple[list[tuple], list[tuple]]:
    daily = _rows(
        conn,
        "select * from marts.fct_attendance_daily where work_date >= %s and work_date < %s "
        "order by nip, work_date",
        MONTH,
        date(2026, 11, 1),
    )
    monthly = _rows(
        conn, "select * from marts.fct_allowance_deduction_monthly where month = %s order by nip", MONTH
    )
    return daily, monthly


@pytest.fixture
def october(db_url, tmp_path, monkeypatch) -> dict:
    """A month of a small regency, loaded the way a USB collection round loads it."""
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    folder = tmp_path / "regency"
    generate(folder, employees=40, devices=3, start=MONTH, days=31, seed=5)
    with psycopg.connect(db_url, autocommit=True) as conn:
        load_generated_regency(conn, folder)
    return {"folder": folder, "url": db_url, "out": tmp_path / "out" / "2026-10"}


@pytest.mark.slow
def test_close_locks_rerun_changes_nothing_late_punch_is_an_adjustment(airflow_db, october, conn, tmp_path):
    report = airflow_local.run_dag("monthly_close", conf={"month": "2026-10"})

    assert report.state == "success", report.tasks
    assert _rows(conn, "select month from ops.month_lock") == [(MONTH,)]
    daily, monthly = _october(conn)
    assert daily and monthly
    assert all(row[-1] is True for row in monthly)  # is_locked, the contract's last column
    assert (october["out"] / "laporan_disiplin_2026-10.pdf").stat().st_size > 0
    assert (october["out"] / "potongan_tunjangan_2026-10.xlsx").stat().st_size > 0
    export_csv = (october["out"] / "potongan_tunjangan_2026-10.csv").read_text(encoding="utf-8")
    assert "FINAL" in export_csv.splitlines()[1]  # a locked month's export is final, never a draft
    locked_at = _rows(conn, "select locked_at from ops.month_lock")

    # Closing the same month again: the lock and every number stay as they were.
    again = airflow_local.run_dag("monthly_close", conf={"month": "2026-10"})
    assert again.state == "success"
    assert _rows(conn, "select locked_at from ops.month_lock") == locked_at
    assert _october(conn) == (daily, monthly)

    # A device backlog arrives in November with punches for an October day the employee was TK.
    nip, day, pct = next((r[0], r[1], r[13]) for r in daily if r[12] == "TK")
    with (october["folder"] / "pins.csv").open(newline="", encoding="utf-8") as fh:
        pin = next(r["device_pin"] for r in csv.DictReader(fh) if r["nip"] == nip and not r["device_sn"])
    serial = _rows(conn, "select min(device_sn) from raw.device_punch")[0][0]
    backlog = tmp_path / f"{serial}_attlog.dat"
    backlog.write_text(
        f"{pin}\t{day} 07:15:00\t1\t0\t0\t0\n{pin}\t{day} 16:45:00\t1\t1\t0\t0\n", encoding="utf-8"
    )
    assert import_attlog(conn, backlog, serial).records_new == 2
    transform(resolve())  # what the next hourly run does

    assert _october(conn) == (daily, monthly)  # the paid month did not move
    adjustments = _rows(
        conn,
        "select month, corrected_month, adjustment_amount from marts.fct_allowance_adjustment where nip = %s",
        nip,
    )
    assert len(adjustments) == 1
    adjusted_in, corrected, amount = adjustments[0]
    assert corrected == MONTH and adjusted_in > MONTH
    assert pct > 0 and amount < 0  # the TK cut is refunded in the next open month


def test_the_scheduled_close_on_the_first_takes_the_previous_month(airflow_db, db_url):
    """06:00 on the 1st (regency time) closes the month before; only the month choice runs here.
    The 1st of the current month, so the month chosen has ended by the real clock."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from warehouse import settings
    from warehouse.months import local_month, previous_month

    timezone = settings.load().timezone
    first_day = local_month(timezone)
    first = datetime(first_day.year, first_day.month, 1, 6, tzinfo=ZoneInfo(timezone))
    report = airflow_local.run_dag(
        "monthly_close", logical_date=first, mark_success_pattern="build|quality_gate|lock|report_and_export"
    )
    assert report.state_of("choose_month") == "success"
    assert airflow_local.task_result(report, "choose_month") == previous_month(first_day).isoformat()


def test_a_month_not_ended_is_refused_and_nothing_locked(airflow_db, db_url, conn):
    """The current month, triggered by hand: choose_month refuses (real clock), nothing runs after."""
    from warehouse import settings
    from warehouse.months import iso_month, local_month

    month = iso_month(local_month(settings.load().timezone))
    report = airflow_local.run_dag("monthly_close", conf={"month": month})
    assert report.state == "failed"
    assert report.state_of("choose_month") == "failed"
    assert all(
        report.state_of(t) != "success" for t in ("build", "quality_gate", "lock", "report_and_export")
    )
    assert _rows(conn, "select count(*) from ops.month_lock") == [(0,)]
