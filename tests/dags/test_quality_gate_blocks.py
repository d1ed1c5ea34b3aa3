"""A failing quality gate fails attendance_hourly and publishes nothing, and stops monthly_close
before the lock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from absensi.demo import simulated_regency
from absensi.orchestration import airflow_local
from tests.conftest import resolved_settings
from tests.ingest.zk_regency import store_unchecked_usb_batch
from warehouse.months import local_today


@pytest.fixture
def regency_with_a_ghost_device(db_url, conn, tmp_path, monkeypatch):
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    today = local_today(resolved_settings().timezone)
    with simulated_regency(
        tmp_path / "regency",
        db_url,
        resolved_settings(),
        employees=30,
        devices=2,
        start=today - timedelta(days=6),
        days=7,
        seed=3,
        offline=0,
    ) as simulated:
        # Punches of a machine nobody registered (loaded before import-usb checked serials): the gate
        # must stop them.
        ghost = tmp_path / "GHOST9_attlog.dat"
        # one punch yesterday (the hourly run) and one on the last day of last month (the close: only
        # an ended month can be closed)
        last_month_end = today.replace(day=1) - timedelta(days=1)
        ghost.write_text(
            f"      101\t{today - timedelta(days=1)} 07:20:00\t1\t0\t0\t0\n"
            f"      101\t{last_month_end} 07:20:00\t1\t0\t0\t0\n",
            encoding="utf-8",
        )
        store_unchecked_usb_batch(conn, ghost, "GHOST9")
        yield simulated


def test_failing_gate_fails_the_run_publishes_nothing_and_never_locks(
    airflow_db, regency_with_a_ghost_device, conn, tmp_path
):
    hourly = airflow_local.run_dag("attendance_hourly")

    assert hourly.state == "failed"
    assert set(hourly.states("pull_device")) == {"success"}
    assert hourly.state_of("transform") == "success"
    assert hourly.state_of("quality_gate") == "failed"
    assert hourly.state_of("publish") == "upstream_failed"
    assert not (tmp_path / "out" / "dashboards").exists()

    month = (local_today(resolved_settings().timezone).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    close = airflow_local.run_dag("monthly_close", conf={"month": month})

    assert close.state == "failed"
    assert close.state_of("build") == "success"
    assert close.state_of("quality_gate") == "failed"
    assert close.state_of("lock") == "upstream_failed"
    assert close.state_of("report_and_export") == "upstream_failed"
    assert conn.execute("select count(*) from ops.month_lock").fetchone()[0] == 0
    assert not (tmp_path / "out" / month).exists()
