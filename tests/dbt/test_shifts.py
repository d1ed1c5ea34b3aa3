"""Issue 14 on real PostgreSQL and real dbt: a roster file makes a Saturday a workday and a weekday a
day off, a night shift takes the punches of its window (the check-out after midnight included), a
punch after midnight for yesterday's night shift reaches it in an incremental run although the
lookback does not cover it, punches in no window are quarantined, and the incremental facts equal a
full refresh."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from absensi.transform import run_build
from ingest.folder import load_generated_regency
from ingest.generator import generate
from ingest.reference import load_reference_file
from ingest.usb import import_attlog
from tests.conftest import resolved_settings

ARGS = {"employees": 30, "devices": 2, "start": "2026-10-01", "days": 31, "seed": 14}
# lookback 0: only the touched ranges reach yesterday (the default 3 days would hide a missing touch)
VARS = {"attendance_start": "2026-10-01", "attendance_end": "2026-10-31", "lookback_days": 0}
NIGHT = date(2026, 10, 9)  # a Friday: the night runs into Saturday 10 October
SATURDAY = date(2026, 10, 17)
DAY_OFF = date(2026, 10, 12)  # a Monday
DAY_COLUMNS = (
    "shift_code, status, schedule_in, schedule_out, first_in, last_out, tl_tier, psw_tier, deduction_pct"
)


def _day(conn: psycopg.Connection, nip: str, day: date) -> dict | None:
    cur = conn.execute(
        f"select {DAY_COLUMNS} from marts.fct_attendance_daily where nip = %s and work_date = %s", (nip, day)
    )
    row = cur.fetchone()
    return None if row is None else dict(zip([c.name for c in cur.description], row, strict=True))


def _attlog(folder: Path, sn: str, pin: str, *moments: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sn}_attlog.dat"
    path.write_text("".join(f"{pin:>9}\t{m}\t1\t0\t0\t0\n" for m in moments), encoding="utf-8")
    return path


def _facts(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select nip, work_date, shift_code, status, first_in, last_out, late_minutes, early_minutes, tl_tier, "
        "psw_tier, deduction_pct, reason from marts.fct_attendance_daily order by nip, work_date"
    ).fetchall()


@pytest.mark.slow
def test_roster_night_shift_after_midnight_and_incremental_equals_full(db_url, conn, tmp_path):
    folder = tmp_path / "regency"
    generate(folder, **ARGS)
    load_generated_regency(conn, folder)
    settings = resolved_settings()
    run_build(db_url, settings, vars=VARS, full_refresh=True, unit_tests=False)
    no_roster = _facts(conn)

    # a nurse with an any-device PIN and no leave in October, on the device of her OPD
    nip, pin, sn = conn.execute(
        """select e.nip, p.device_pin, d.device_sn
             from raw.employee e
             join raw.employee_pin p on p.nip = e.nip and p.device_sn is null
             join raw.device d on d.opd_code = e.opd_code
            where e.aktif_sampai is null and e.aktif_mulai <= '2026-10-01'
              and not exists (select 1 from raw.leave l where l.nip = e.nip)
            order by e.nip, d.device_sn limit 1"""
    ).fetchone()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"nip,tanggal,shift_code\n{nip},{NIGHT},MALAM\n{nip},{DAY_OFF},L\n{nip},{SATURDAY},PAGI\n",
        encoding="utf-8",
    )
    load_reference_file(conn, "roster", roster)
    run_build(db_url, settings, vars=VARS, unit_tests=False)

    night = _day(conn, nip, NIGHT)
    assert night is not None and night["shift_code"] == "MALAM"
    assert (str(night["schedule_in"]), str(night["schedule_out"])) == ("21:00:00", "07:00:00")
    assert _day(conn, nip, DAY_OFF) is None  # L on a Monday: no workday
    saturday = _day(conn, nip, SATURDAY)
    assert saturday is not None and saturday["shift_code"] == "PAGI" and saturday["status"] == "TK"
    # her regular Friday punches are in no window of the night shift: quarantined, never counted
    outside = conn.execute(
        "select punch_local from marts.q_punch_outside_shift where nip = %s order by punch_local", (nip,)
    ).fetchall()
    assert outside and all(p[0].date() in (NIGHT, DAY_OFF) for p in outside)

    # the check-in arrives, then (a later file) the check-out after midnight: only the shift-window
    # touch brings the night back into the run (lookback 0, the new punch's date is the Saturday)
    import_attlog(conn, _attlog(tmp_path / "in", sn, pin, "2026-10-09 20:55:00", "2026-10-17 06:55:00"), sn)
    run_build(db_url, settings, vars=VARS, unit_tests=False)
    assert _day(conn, nip, NIGHT)["psw_tier"] == 4
    import_attlog(conn, _attlog(tmp_path / "out", sn, pin, "2026-10-10 07:02:00", "2026-10-17 14:05:00"), sn)
    run_build(db_url, settings, vars=VARS, unit_tests=False)
    touched = conn.execute(
        "select touched_by, date_from from intermediate.int_attendance_touched where nip = %s", (nip,)
    ).fetchall()
    assert ("shift_window", NIGHT) in touched
    night = _day(conn, nip, NIGHT)
    assert night["status"] == "HADIR"
    assert (night["first_in"], night["last_out"]) == (
        datetime(2026, 10, 9, 20, 55),
        datetime(2026, 10, 10, 7, 2),
    )
    assert (night["tl_tier"], night["psw_tier"], night["deduction_pct"]) == (0, 0, 0)
    saturday = _day(conn, nip, SATURDAY)
    assert (saturday["status"], saturday["first_in"], saturday["last_out"]) == (
        "HADIR",
        datetime(2026, 10, 17, 6, 55),
        datetime(2026, 10, 17, 14, 5),
    )

    incremental = _facts(conn)
    run_build(db_url, settings, vars=VARS, full_refresh=True, unit_tests=False)
    assert _facts(conn) == incremental
    # everyone else's days are exactly those of the regency without rosters
    assert [r for r in incremental if r[0] != nip] == [r for r in no_roster if r[0] != nip]
