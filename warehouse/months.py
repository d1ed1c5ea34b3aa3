"""Months, one way: a month is the `date` of its first day everywhere below the edge; the edge
parses what a user typed (`parse_month`) and writes it back as `YYYY-MM` (`iso_month`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from warehouse.errors import UserError

BULAN = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def parse_month(text: str) -> date:
    """'2026-03' (or a whole date '2026-03-15') -> the first day of that month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UserError(f"bulan tidak sah {text!r}; tulis sebagai YYYY-MM, mis. 2026-10")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after the one `month` is in."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    """The first day of the month before the one `month` is in."""
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def month_bounds(month: date) -> tuple[date, date]:
    """(first day, first day of the next month): a half-open range for SQL."""
    first = month_start(month)
    return first, next_month(first)


def iso_month(month: date) -> str:
    return f"{month:%Y-%m}"


def month_label(month: date) -> str:
    """'Oktober 2026'."""
    return f"{BULAN[month.month - 1]} {month.year}"


def local_today(timezone: str, moment: datetime | None = None) -> date:
    """The regency-local date of `moment` (default now); a naive moment is already local."""
    if moment is None:
        return datetime.now(ZoneInfo(timezone)).date()
    return moment.astimezone(ZoneInfo(timezone)).date() if moment.tzinfo else moment.date()


def local_month(timezone: str, moment: datetime | date | None = None) -> date:
    """First day of the regency-local month containing `moment` (default now)."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return month_start(moment)
    return month_start(local_today(timezone, moment))


# Indonesia's three zones by their legal names (UU/Keppres 41/1987); other zones show their own name.
ZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_label(timezone: str) -> str:
    """`WIB`, `WITA` or `WIT` for the regency's zone (the IANA name for any other)."""
    return ZONE_LABELS.get(timezone, timezone)
