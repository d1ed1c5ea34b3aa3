"""What the suites are parameterised by: schemas, the month, the attendance window and the policy
limits (read from the same dbt seeds the marts are built from, so a regency that edits its policy
seed gets matching bounds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from warehouse.seeds import read_seed
from warehouse.settings import SEEDS_DIR

# A ZKTeco clock reset after a flat battery jumps to 2000-01-01; nothing real predates this.
# dbt's var `min_plausible_punch` (the quarantine view's bound) wins when set.
DEFAULT_MIN_PUNCH_DATE = date(2015, 1, 1)


@dataclass(frozen=True)
class PolicyLimits:
    policy_id: str
    max_daily_pct: Decimal  # the largest percent one day can cost (TK, or TL4 + PSW4)
    monthly_cap_pct: Decimal


@dataclass(frozen=True)
class SuiteParams:
    raw_schema: str = "raw"
    marts_schema: str = "marts"
    month_start: date | None = None  # first day of the checked month
    month_end: date | None = None  # first day of the next month (exclusive)
    window: tuple[date, date] | None = None  # inclusive days the daily mart must cover
    policies: tuple[PolicyLimits, ...] = ()
    holidays: tuple[date, ...] = ()
    timezone: str = "Asia/Jakarta"
    min_punch_date: date = DEFAULT_MIN_PUNCH_DATE
    clock_quarantine_view: str | None = None  # marts view listing punches with impossible clocks
    quarantine_views: tuple[str, ...] = ()
    previous_quarantine: dict[str, int] = field(default_factory=dict)
    # (schedule_id, period, iso_weekday) that are workdays; jenis_opd -> schedule_id; Ramadan ranges
    schedule_days: tuple[tuple[str, str, int], ...] = ()
    opd_schedules: tuple[tuple[str, str], ...] = ()
    ramadan: tuple[tuple[date, date], ...] = ()
    existing_tables: frozenset[str] = frozenset()
    table_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The close's gate (absensi close-month): days still MENUNGGU block instead of warning.
    closing: bool = False

    def mart(self, name: str) -> str:
        return f"{self.marts_schema}.{name}"

    def raw(self, name: str) -> str:
        return f"{self.raw_schema}.{name}"


def load_policy_limits(seeds_dir: Path = SEEDS_DIR) -> tuple[PolicyLimits, ...]:
    """Per policy: the worst single day (TK, a leave type, or the top TL tier plus the top PSW tier)
    and the monthly cap, from policies.csv, policy_tiers.csv and policy_leave.csv."""
    tiers = read_seed("policy_tiers", seeds_dir)
    leave = read_seed("policy_leave", seeds_dir)
    limits = []
    for policy in read_seed("policies", seeds_dir):
        pid = policy["policy_id"]
        side_max = {
            side: max(
                (Decimal(t["pct"]) for t in tiers if t["policy_id"] == pid and t["side"] == side),
                default=Decimal(0),
            )
            for side in ("TL", "PSW")
        }
        leave_max = max((Decimal(r["pct"]) for r in leave if r["policy_id"] == pid), default=Decimal(0))
        worst_day = max(Decimal(policy["tk_pct"]), leave_max, side_max["TL"] + side_max["PSW"])
        limits.append(PolicyLimits(pid, worst_day, Decimal(policy["monthly_cap_pct"])))
    return tuple(limits)


def load_holidays(seeds_dir: Path = SEEDS_DIR) -> tuple[date, ...]:
    """National holidays and cuti bersama: neither is a workday."""
    return tuple(sorted(date.fromisoformat(r["holiday_date"]) for r in read_seed("holidays", seeds_dir)))


def load_calendar(seeds_dir: Path = SEEDS_DIR) -> dict[str, tuple]:
    """The seeds that decide which weekdays are workdays for whom (work_schedules, opd_schedule,
    ramadan_periods): the completeness check reads them itself rather than trusting dbt's calendar."""
    days = {
        (r["schedule_id"], r["period"], int(r["iso_weekday"])) for r in read_seed("work_schedules", seeds_dir)
    }
    opd = {(r["jenis_opd"], r["schedule_id"]) for r in read_seed("opd_schedule", seeds_dir)}
    ramadan = {
        (date.fromisoformat(r["start_date"]), date.fromisoformat(r["end_date"]))
        for r in read_seed("ramadan_periods", seeds_dir)
    }
    return {
        "schedule_days": tuple(sorted(days)),
        "opd_schedules": tuple(sorted(opd)),
        "ramadan": tuple(sorted(ramadan)),
    }
