"""Which month the hourly gate judges, around the turn of a month."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from absensi.edge import resolve
from absensi.orchestration.hourly import gate_month
from absensi.orchestration.monthly import month_to_close
from warehouse.months import local_month, previous_month

WIB = ZoneInfo("Asia/Jakarta")


def test_the_new_month_is_judged_once_it_has_a_workday(conn, db_url):
    # Before the first build there is no mart: the current month.
    edge = resolve()
    assert edge.url == db_url
    assert gate_month(edge, datetime(2026, 11, 1, 3, tzinfo=WIB)) == date(2026, 11, 1)
    conn.execute("create table marts.fct_attendance_daily (nip text, work_date date)")
    conn.execute("insert into marts.fct_attendance_daily values ('1', '2026-10-30')")
    # Sunday 1 November, 03:00 WIB (Saturday 20:00 UTC): no November workday yet → October.
    assert gate_month(edge, datetime(2026, 10, 31, 20, tzinfo=ZoneInfo("UTC"))) == date(2026, 10, 1)
    conn.execute("insert into marts.fct_attendance_daily values ('1', '2026-11-02')")
    assert gate_month(edge, datetime(2026, 11, 2, 8, tzinfo=WIB)) == date(2026, 11, 1)


def test_the_close_takes_the_month_before_the_run_in_regency_time():
    # 1 January 06:00 WIB is still 31 December in UTC: the close is for December.
    def previous(moment: datetime) -> date:
        return previous_month(local_month("Asia/Jakarta", moment))

    assert previous(datetime(2026, 12, 31, 23, tzinfo=ZoneInfo("UTC"))) == date(2026, 12, 1)
    assert previous(datetime(2027, 1, 1, 6, tzinfo=WIB)) == date(2026, 12, 1)
    assert month_to_close(None, datetime(2026, 12, 31, 23, tzinfo=ZoneInfo("UTC")), "Asia/Jakarta") == date(
        2026, 12, 1
    )
    assert month_to_close("2026-03", datetime(2027, 1, 1, 6, tzinfo=WIB), "Asia/Jakarta") == date(2026, 3, 1)
