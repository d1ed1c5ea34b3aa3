"""Each blocking marts expectation: break one mart row by hand, the gate refuses and names it."""

from __future__ import annotations

import psycopg
import pytest

from expectations.gate import decide
from expectations.runner import run_checks
from tests.expectations.warehouse import EMPLOYEES, WINDOW
from warehouse.months import parse_month
from warehouse.settings import DEFAULT_TIMEZONE as TZ

E1, E2, E3, _ = EMPLOYEES


def _check(url: str, schema: str, month: str | None = "2025-06"):
    run = run_checks(
        url,
        parse_month(month) if month else None,
        timezone=TZ,
        marts_schema=schema,
        window=WINDOW,
        suites=("marts",),
    )
    return run, decide(run)


def test_correct_marts_pass(regency_url: str, marts_schema: str) -> None:
    run, decision = _check(regency_url, marts_schema)
    assert decision.publishable, decision.reasons
    names = {o.expectation for o in run.outcomes}
    assert {"daily_grain_complete", "daily_grain_unique", "monthly_net_is_base_minus_deduction"} <= names
    assert all(o.success for o in run.outcomes)


# (what is broken, SQL that breaks it, the expectation that must fail, text the reason must name)
CORRUPTIONS: list[tuple[str, str, str, list[str]]] = [
    (
        "duplicate day",
        f"insert into {{s}}.fct_attendance_daily select * from {{s}}.fct_attendance_daily "
        f"where nip = '{E1.nip}' and work_date = '2025-06-04'",
        "daily_grain_unique",
        [E1.nip, "2025-06-04"],
    ),
    (
        "missing workday",
        f"delete from {{s}}.fct_attendance_daily where nip = '{E3.nip}' and work_date = '2025-06-11'",
        "daily_grain_complete",
        [E3.nip, "2025-06-11"],
    ),
    (
        "row on a holiday",
        f"insert into {{s}}.fct_attendance_daily (nip, work_date, opd_code, policy_id, tl_tier, psw_tier, "
        f"status, deduction_pct) values ('{E1.nip}', '2025-06-06', 'DINKES', 'tukin_standard', 0, 0, 'TK', 5)",
        "daily_only_scheduled_workdays",
        [E1.nip, "2025-06-06"],
    ),
    (
        "row before the employee started",
        f"insert into {{s}}.fct_attendance_daily (nip, work_date, opd_code, policy_id, tl_tier, psw_tier, "
        f"status, deduction_pct) values ('{E3.nip}', '2025-06-05', 'KEC01', 'tukin_standard', 0, 0, 'TK', 5)",
        "daily_only_scheduled_workdays",
        [E3.nip, "2025-06-05"],
    ),
    (
        "unknown status",
        f"update {{s}}.fct_attendance_daily set status = 'ALPA' where nip = '{E2.nip}' and work_date = '2025-06-03'",
        "daily_status_in_set",
        [E2.nip, "ALPA"],
    ),
    (
        "status missing",
        f"update {{s}}.fct_attendance_daily set status = null where nip = '{E1.nip}' and work_date = '2025-06-05'",
        "daily_status_not_null",
        [E1.nip, "2025-06-05"],
    ),
    (
        "late tier out of set",
        f"update {{s}}.fct_attendance_daily set tl_tier = 5 where nip = '{E1.nip}' and work_date = '2025-06-12'",
        "daily_tl_tier_in_set",
        [E1.nip, "2025-06-12"],
    ),
    (
        "early tier out of set",
        f"update {{s}}.fct_attendance_daily set psw_tier = -1 where nip = '{E1.nip}' and work_date = '2025-06-12'",
        "daily_psw_tier_in_set",
        [E1.nip, "2025-06-12"],
    ),
    (
        "day costs more than the policy allows",
        f"update {{s}}.fct_attendance_daily set deduction_pct = 6 where nip = '{E2.nip}' and work_date = '2025-06-03'",
        "daily_deduction_pct_within_policy",
        [E2.nip, "2025-06-03"],
    ),
    (
        "negative day percent",
        f"update {{s}}.fct_attendance_daily set deduction_pct = -0.5 where nip = '{E1.nip}' and work_date = '2025-06-02'",
        "daily_deduction_pct_within_policy",
        [E1.nip, "2025-06-02"],
    ),
    (
        "check-in after check-out",
        f"update {{s}}.fct_attendance_daily set first_in = last_out + interval '1 minute' "
        f"where nip = '{E1.nip}' and work_date = '2025-06-10'",
        "daily_first_in_not_after_last_out",
        [E1.nip, "2025-06-10"],
    ),
    (
        "total above the cap",
        f"update {{s}}.fct_allowance_deduction_monthly set total_pct = 120 where nip = '{E1.nip}'",
        "monthly_total_pct_capped",
        [E1.nip, "120"],
    ),
    (
        "deduction above base",
        f"update {{s}}.fct_allowance_deduction_monthly set deduction_amount = base_amount + 1, net_amount = -1 "
        f"where nip = '{E2.nip}'",
        "monthly_deduction_within_base",
        [E2.nip],
    ),
    (
        "net off by one rupiah",
        f"update {{s}}.fct_allowance_deduction_monthly set net_amount = net_amount + 1 where nip = '{E2.nip}'",
        "monthly_net_is_base_minus_deduction",
        [E2.nip, "2427778"],
    ),
    (
        "deduction rounded down",
        f"update {{s}}.fct_allowance_deduction_monthly set deduction_amount = deduction_amount - 1, "
        f"net_amount = net_amount + 1 where nip = '{E2.nip}'",
        "monthly_deduction_rounded_half_up",
        [E2.nip, "127777"],
    ),
    (
        "day counts do not add up",
        f"update {{s}}.fct_allowance_deduction_monthly set days_hadir = days_hadir + 1 where nip = '{E3.nip}'",
        "monthly_day_counts_add_up",
        [E3.nip],
    ),
    (
        "employee twice in a month",
        f"insert into {{s}}.fct_allowance_deduction_monthly select * from {{s}}.fct_allowance_deduction_monthly "
        f"where nip = '{E3.nip}'",
        "monthly_grain_unique",
        [E3.nip, "2025-06-01"],
    ),
    (
        "employee ranked twice",
        f"insert into {{s}}.mart_employee_discipline_monthly select * from {{s}}.mart_employee_discipline_monthly "
        f"where nip = '{E1.nip}'",
        "employee_rank_grain_unique",
        [E1.nip],
    ),
    (
        "OPD ranked twice",
        "insert into {s}.mart_opd_discipline_monthly select * from {s}.mart_opd_discipline_monthly "
        "where opd_code = 'KEC01'",
        "opd_rank_grain_unique",
        ["KEC01"],
    ),
    (
        "employee rank skips a place",
        f"update {{s}}.mart_employee_discipline_monthly set rank_in_opd = 3 where nip = '{E2.nip}'",
        "employee_rank_contiguous",
        [E2.nip, "rank=3", "expected_rank=2"],
    ),
    (
        "employee rank missing",
        f"update {{s}}.mart_employee_discipline_monthly set rank_in_opd = null where nip = '{E1.nip}'",
        "employee_rank_contiguous",
        [E1.nip, "DINKES"],
    ),
    (
        "OPD rank does not start at 1",
        "update {s}.mart_opd_discipline_monthly set discipline_rank = discipline_rank + 1",
        "opd_rank_contiguous",
        ["KEC01", "rank=2", "expected_rank=1"],
    ),
    (
        "monthly disagrees with daily",
        f"update {{s}}.fct_allowance_deduction_monthly set workdays = workdays - 1, days_hadir = days_hadir - 1 "
        f"where nip = '{E1.nip}'",
        "monthly_matches_daily",
        [E1.nip],
    ),
]


@pytest.mark.parametrize(
    ("sql", "expectation", "named"), [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
)
def test_broken_mart_row_blocks_and_is_named(
    regency_url: str, marts_schema: str, sql: str, expectation: str, named: list[str]
) -> None:
    with psycopg.connect(regency_url, autocommit=True) as conn:
        conn.execute(sql.format(s=marts_schema))
    run, decision = _check(regency_url, marts_schema)
    assert not decision.publishable
    failed = {o.expectation for o in run.failed_blocking}
    assert expectation in failed, decision.reasons
    reason = next(r for r in decision.reasons if f"/{expectation} " in r)
    for text in named:
        assert text in reason, reason
    outcome = run.outcome("marts", expectation)
    assert outcome.failing_rows, "the failing rows must be kept"


def test_month_without_rows_is_not_publishable(regency_url: str, marts_schema: str) -> None:
    run, decision = _check(regency_url, marts_schema, month="2025-07")
    assert not decision.publishable
    assert {"daily_not_empty", "monthly_not_empty"} <= {o.expectation for o in run.failed_blocking}


def test_month_filter_ignores_other_months(regency_url: str, marts_schema: str) -> None:
    with psycopg.connect(regency_url, autocommit=True) as conn:
        conn.execute(
            f"update {marts_schema}.fct_allowance_deduction_monthly set month = '2025-05-01', net_amount = 0 "
            f"where nip = '{E1.nip}'"
        )
    _, june = _check(regency_url, marts_schema)
    assert not any(E1.nip in r and "monthly_net" in r for r in june.reasons)
    _, everything = _check(regency_url, marts_schema, month=None)
    assert any(E1.nip in r and "monthly_net_is_base_minus_deduction" in r for r in everything.reasons)


def test_missing_mart_table_blocks(regency_url: str, marts_schema: str) -> None:
    with psycopg.connect(regency_url, autocommit=True) as conn:
        conn.execute(f"drop table {marts_schema}.fct_allowance_deduction_monthly")
    run, decision = _check(regency_url, marts_schema)
    assert not decision.publishable
    assert any("fct_allowance_deduction_monthly" in r and "tidak ditemukan" in r for r in decision.reasons)
