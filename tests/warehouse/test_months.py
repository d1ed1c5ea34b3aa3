"""One way to read and write a month (warehouse.months), at the edges of the calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from warehouse.errors import UserError
from warehouse.months import (
    iso_month,
    local_month,
    local_today,
    month_bounds,
    month_label,
    next_month,
    parse_month,
    previous_month,
)


@pytest.mark.parametrize(
    ("text", "first"),
    [("2026-03", date(2026, 3, 1)), ("2026-12-31", date(2026, 12, 1)), (" 2027-01 ", date(2027, 1, 1))],
)
def test_parse_month_takes_a_month_or_a_day_in_it(text: str, first: date) -> None:
    assert parse_month(text) == first


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "2026-00", "Juni", "01/10/2026", "2026-W05", ""])
def test_parse_month_refuses_anything_else_in_one_line(text: str) -> None:
    with pytest.raises(UserError, match="bulan tidak sah") as refused:
        parse_month(text)
    assert "\n" not in str(refused.value) and "YYYY-MM" in str(refused.value)


def test_neighbours_and_bounds_cross_the_year() -> None:
    assert next_month(date(2026, 12, 15)) == date(2027, 1, 1)
    assert previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert month_bounds(date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert iso_month(date(2026, 2, 1)) == "2026-02"
    assert month_label(date(2026, 10, 1)) == "Oktober 2026"


def test_the_local_month_is_the_regency_one() -> None:
    # 31 December 16:00 UTC is already 1 January in WIT (UTC+9) but not in WIB (UTC+7)
    moment = datetime(2026, 12, 31, 16, tzinfo=ZoneInfo("UTC"))
    assert local_month("Asia/Jayapura", moment) == date(2027, 1, 1)
    assert local_month("Asia/Jakarta", moment) == date(2026, 12, 1)
    assert local_today("Asia/Jakarta", datetime(2026, 5, 3, 23, 59)) == date(2026, 5, 3)  # naive = local
    assert local_month("Asia/Jakarta", date(2026, 5, 3)) == date(2026, 5, 1)
