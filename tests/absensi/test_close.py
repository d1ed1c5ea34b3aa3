"""The close refuses what is not known (issue 13): a month that has not ended in the regency's
timezone, and a month with MENUNGGU days; nothing is locked, the message says what to do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from absensi.close import MonthNotClosable, month_end, require_month_ended
from warehouse import settings
from warehouse.months import iso_month, local_month

OCTOBER = date(2026, 10, 1)


@pytest.mark.parametrize("timezone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
def test_a_month_ends_at_local_midnight_of_the_first(timezone):
    zone = ZoneInfo(timezone)
    end = datetime(2026, 11, 1, tzinfo=zone)
    assert month_end(OCTOBER, timezone) == end
    with pytest.raises(MonthNotClosable) as refused:
        require_month_ended(OCTOBER, timezone, end - timedelta(seconds=1))
    message = str(refused.value)
    assert "bulan 2026-10 belum berakhir" in message and timezone in message
    assert "31-10-2026 23:59" in message and "01-11-2026 00:00" in message
    assert "tidak ada yang dikunci" in message
    require_month_ended(OCTOBER, timezone, end)  # from midnight on, the month is over
    # The same instant in UTC: 31 October 17:00 UTC is already November in Jakarta (UTC+7).
    utc_moment = end.astimezone(UTC)
    require_month_ended(OCTOBER, timezone, utc_moment)
    with pytest.raises(MonthNotClosable):
        require_month_ended(OCTOBER, timezone, utc_moment - timedelta(minutes=1))


def test_the_clock_must_be_an_instant():
    with pytest.raises(ValueError, match="timezone-aware"):
        require_month_ended(OCTOBER, "Asia/Jakarta", datetime(2026, 11, 2, 8, 0))


def test_close_month_command_refuses_the_current_month(db_url, run_cli, conn):
    """`absensi close-month` with the real clock: the regency's current month never ends today."""
    month = iso_month(local_month(settings.load().timezone))
    result = run_cli("close-month", month)
    assert result.exit_code == 2, result.output
    assert f"bulan {month} belum berakhir" in result.stderr and "tidak ada yang dikunci" in result.stderr
    assert "1/4 build penuh" not in result.stdout  # refused before any step ran
    assert conn.execute("select count(*) from ops.month_lock").fetchone()[0] == 0
