"""attendance_hourly through Airflow's `dag.test()`: simulated ZKTeco devices over real sockets
(unmodified pyzk), the real warehouse, real dbt and GX. One device is offline; one pushes its log
through the ADMS receiver instead of being pulled."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from absensi.demo import simulated_regency
from absensi.orchestration import airflow_local
from ingest.usb import read_attlog
from tests.conftest import resolved_settings
from warehouse.months import local_today
from warehouse.seeds import read_seed

EMPLOYEES, DEVICES, DAYS = 60, 5, 10


def _daily(conn) -> dict[tuple[str, str], tuple]:
    rows = conn.execute(
        """select nip, work_date::text, status, tl_tier, psw_tier, deduction_pct
           from marts.fct_attendance_daily"""
    ).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _nips_punching_on(folder: Path, serial: str) -> set[str]:
    """Employees with at least one punch in `serial`'s attlog (through device-specific or any-device pins)."""
    pins = {record[0].strip() for record in read_attlog(folder / "attlog" / f"{serial}_attlog.dat")}
    with (folder / "pins.csv").open(newline="", encoding="utf-8") as fh:
        return {
            row["nip"]
            for row in csv.DictReader(fh)
            if row["device_pin"] in pins and row["device_sn"] in ("", serial)
        }


def _depends_on(folder: Path, serial: str) -> set[str]:
    """Employees whose days depend on `serial` (issue 13): its OPD's, and those with a PIN registered on it."""
    with (folder / "devices.csv").open(newline="", encoding="utf-8") as fh:
        opd = next(row["opd_code"] for row in csv.DictReader(fh) if row["device_sn"] == serial)
    with (folder / "employees.csv").open(newline="", encoding="utf-8") as fh:
        nips = {row["nip"] for row in csv.DictReader(fh) if row["opd_code"] == opd}
    with (folder / "pins.csv").open(newline="", encoding="utf-8") as fh:
        return nips | {row["nip"] for row in csv.DictReader(fh) if row["device_sn"] == serial}


@pytest.fixture
def regency(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    today = local_today(resolved_settings().timezone)
    with simulated_regency(
        tmp_path / "regency",
        db_url,
        resolved_settings(),
        employees=EMPLOYEES,
        devices=DEVICES,
        start=today - timedelta(days=DAYS - 1),
        days=DAYS,
        seed=11,
        offline=1,
        push=1,
    ) as simulated:
        yield simulated


def test_one_offline_device_does_not_stop_the_others(airflow_db, regency, conn, tmp_path):
    [offline] = regency.offline
    online = [sn for sn in regency.device_sns if sn != offline]
    [pushed] = regency.pushed
    assert pushed not in regency.device_sns  # served for the push, not for the pull
    records, acknowledged = regency.pushed[pushed]
    assert records == acknowledged > 0

    report = airflow_local.run_dag("attendance_hourly")

    # The run finishes; the dead device is a failed task instance and a failed batch row.
    assert report.state == "success"
    pulls = {t.label: t.state for t in report.tasks if t.task_id == "pull_device"}
    assert pulls == {offline: "failed", **{sn: "success" for sn in online}}  # labelled by serial in the UI
    assert [report.state_of(t) for t in ("transform", "quality_gate", "publish")] == ["success"] * 3
    batches = dict(
        conn.execute("select device_sn, status from raw.ingest_batch where kind = 'pull'").fetchall()
    )
    assert batches == {offline: "failed", **{sn: "ok" for sn in online}}
    error = conn.execute("select error from raw.ingest_batch where device_sn = %s", (offline,)).fetchone()[0]
    assert offline in error

    # Every punch the online devices hold reached raw, the pushing one's too; none from the offline one.
    per_device = dict(conn.execute("select device_sn, count(*) from raw.device_punch group by 1").fetchall())
    for serial in [*online, pushed]:
        assert per_device[serial] == len(set(read_attlog(regency.folder / "attlog" / f"{serial}_attlog.dat")))
    assert offline not in per_device
    health = conn.execute(
        """select protocol, last_success_kind, last_seen_at is not null, records_on_device, clock_skew_seconds
             from marts.mart_device_health where device_sn = %s""",
        (pushed,),
    ).fetchone()
    assert health == ("push", "push", True, None, None)  # alive; no INFO answer yet, no clock read

    # The others' days are in the mart exactly as the generator's truth says; employees who
    # punched on the offline device wait for its backlog (next hour). Issue 13: what is not known
    # yet is MENUNGGU, never TK — the days of everyone depending on the offline device (its OPD's
    # employees, PINs registered on it) and, before the day's end, today.
    margin = int(read_seed("coverage_settings")[0]["day_end_margin_minutes"])
    state = {
        (r[0], r[1]): r[2:]
        for r in conn.execute(
            """select nip, work_date::text, status, pending_devices,
                      work_date + schedule_out + make_interval(mins => %s) <= (now() at time zone %s)
                 from marts.fct_attendance_daily""",
            (margin, resolved_settings().timezone),
        ).fetchall()
    }
    dependents = _depends_on(regency.folder, offline)
    assert dependents
    for nip, _day in (k for k, (status, _p, _ended) in state.items() if status == "TK"):
        assert nip not in dependents  # nobody is fined for a silent machine
    for (nip, _day), (status, pending, ended) in state.items():
        if nip in dependents and ended and status == "MENUNGGU":
            assert pending == offline
        if not ended:
            assert status in ("MENUNGGU", "CUTI", "SAKIT", "IZIN", "DL", "TB")
    assert any(status == "MENUNGGU" and pending == offline for status, pending, _e in state.values())
    daily = _daily(conn)
    waiting = _nips_punching_on(regency.folder, offline) | dependents
    with (regency.folder / "truth.csv").open(newline="", encoding="utf-8") as fh:
        truth = [
            row
            for row in csv.DictReader(fh)
            if row["nip"] not in waiting and state[(row["nip"], row["work_date"])][2]
        ]
    assert len(truth) > 0 and sum(1 for r in truth if r["status"] == "HADIR") > 0
    mismatches = [
        (row["nip"], row["work_date"], daily.get((row["nip"], row["work_date"])))
        for row in truth
        if daily.get((row["nip"], row["work_date"]))
        != (row["status"], int(row["tl_tier"]), int(row["psw_tier"]), Decimal(row["deduction_pct"]))
    ]
    assert mismatches == []

    # Published: the offline dashboards were rendered.
    assert (tmp_path / "out" / "dashboards" / "index.html").is_file()

    # Re-running the hour (a backfill of the same interval) adds nothing and changes nothing.
    last_batch = conn.execute("select max(batch_id) from raw.ingest_batch").fetchone()[0]
    punches_before = conn.execute("select count(*) from raw.device_punch").fetchone()[0]
    again = airflow_local.run_dag("attendance_hourly", logical_date=report.logical_date)
    assert again.state == "success"
    assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == punches_before
    assert conn.execute(
        "select count(*), sum(records_new) from raw.ingest_batch where kind = 'pull' and status = 'ok' and batch_id > %s",
        (last_batch,),
    ).fetchone() == (len(online), 0)
    assert _daily(conn) == daily

    # The device comes back (issue 13): the next hour pulls its backlog and every day that waited on
    # it becomes its real status — the truth, for everyone whose day has ended; nothing doubled.
    regency.simulation.server.bring_online(offline)
    back = airflow_local.run_dag("attendance_hourly", logical_date=report.logical_date + timedelta(hours=1))
    assert back.state == "success" and set(back.states("pull_device")) == {"success"}
    per_device = dict(conn.execute("select device_sn, count(*) from raw.device_punch group by 1").fetchall())
    assert per_device[offline] == len(set(read_attlog(regency.folder / "attlog" / f"{offline}_attlog.dat")))
    settled = _daily(conn)
    ended = {k for k, (_s, _p, is_ended) in state.items() if is_ended}
    with (regency.folder / "truth.csv").open(newline="", encoding="utf-8") as fh:
        expected = {
            (row["nip"], row["work_date"]): (
                row["status"], int(row["tl_tier"]), int(row["psw_tier"]), Decimal(row["deduction_pct"])
            )
            for row in csv.DictReader(fh)
            if (row["nip"], row["work_date"]) in ended
        }  # fmt: skip
    assert {k: settled[k] for k in expected} == expected
    assert not any(k in ended and v[0] == "MENUNGGU" for k, v in settled.items())


def test_every_device_down_fails_the_run_without_building(airflow_db, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    today = local_today(resolved_settings().timezone)
    with simulated_regency(
        tmp_path / "regency",
        db_url,
        resolved_settings(),
        employees=10,
        devices=2,
        start=today,
        days=1,
        seed=2,
        offline=2,
    ):
        report = airflow_local.run_dag("attendance_hourly")

    # A regency-wide outage is not a quiet success: nothing to transform, and the run is red.
    assert set(report.states("pull_device")) == {"failed"}
    assert [report.state_of(t) for t in ("transform", "quality_gate", "publish")] == ["upstream_failed"] * 3
    assert report.state == "failed"
    assert not (tmp_path / "out").exists()
