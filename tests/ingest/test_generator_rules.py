"""The truth rules (docs/CONTRACTS.md "Daily rule details") on hand-checked DESIGN §6 examples,
with the real seeds of dbt/seeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ingest.generator.rules import (
    SEEDS_DIR,
    CandidateDay,
    DayTruth,
    MonthAmounts,
    MonthTotals,
    Rules,
    day_for_punch,
    evaluate_day,
    load_rules,
    moment,
    month_amounts,
    regular_day,
    shift_day,
)

MONDAY = dt.date(2026, 11, 2)
FRIDAY = dt.date(2026, 11, 6)
RAMADAN_MONDAY = dt.date(2026, 2, 23)
RAMADAN_FRIDAY = dt.date(2026, 2, 27)


def t(hhmmss: str) -> int:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return h * 3600 + m * 60 + s


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def day(
    rules: Rules, date: dt.date, *punches: str, leave: str | None = None, jenis_opd: str = "DINAS"
) -> DayTruth:
    start, end = rules.schedule(jenis_opd, date)
    secs = sorted(t(p) for p in punches)
    first, last = (secs[0], secs[-1]) if secs else (None, None)
    return evaluate_day(first, last, start, end, rules.policy_for("PNS"), leave)


def test_seeds_give_the_design_schedules(rules: Rules) -> None:
    assert rules.schedule("DINAS", MONDAY) == (t("07:30:00"), t("16:00:00"))
    assert rules.schedule("PUSKESMAS", FRIDAY) == (t("07:30:00"), t("16:30:00"))
    assert rules.schedule("DINAS", RAMADAN_MONDAY) == (t("08:00:00"), t("15:00:00"))
    assert rules.schedule("DINAS", RAMADAN_FRIDAY) == (t("08:00:00"), t("15:30:00"))
    assert rules.is_workday(MONDAY) and rules.is_workday(FRIDAY)
    assert not rules.is_workday(dt.date(2026, 11, 7))  # Saturday
    assert not rules.is_workday(dt.date(2026, 11, 8))  # Sunday
    assert not rules.is_workday(dt.date(2026, 5, 1))  # Hari Buruh (libur_nasional)
    assert not rules.is_workday(dt.date(2026, 3, 23))  # cuti bersama Idul Fitri


@pytest.mark.parametrize(
    ("check_in", "minutes", "tier", "pct"),
    [
        ("07:29:00", 0, 0, "0.00"),
        ("07:30:00", 0, 0, "0.00"),
        ("07:30:59", 0, 0, "0.00"),
        ("07:31:00", 1, 1, "0.50"),
        ("08:00:59", 30, 1, "0.50"),
        ("08:01:00", 31, 2, "1.00"),
        ("08:30:00", 60, 2, "1.00"),
        ("08:31:00", 61, 3, "1.25"),
        ("09:00:59", 90, 3, "1.25"),
        ("09:01:00", 91, 4, "1.50"),
    ],
)
def test_late_minutes_truncate_seconds_and_pick_the_tier(
    rules: Rules, check_in: str, minutes: int, tier: int, pct: str
) -> None:
    result = day(rules, MONDAY, check_in, "16:05:00")
    assert (result.status, result.late_minutes, result.tl_tier) == ("HADIR", minutes, tier)
    assert (result.early_minutes, result.psw_tier) == (0, 0)
    assert result.pct == Decimal(pct)


@pytest.mark.parametrize(
    ("check_out", "minutes", "tier", "pct"),
    [
        ("16:00:00", 0, 0, "0.00"),
        ("15:59:01", 0, 0, "0.00"),
        ("15:59:00", 1, 1, "0.50"),
        ("15:30:00", 30, 1, "0.50"),
        ("15:29:00", 31, 2, "1.00"),
        ("15:00:00", 60, 2, "1.00"),
        ("14:59:00", 61, 3, "1.25"),
        ("14:30:00", 90, 3, "1.25"),
        ("14:29:00", 91, 4, "1.50"),
    ],
)
def test_early_minutes_and_tiers(rules: Rules, check_out: str, minutes: int, tier: int, pct: str) -> None:
    result = day(rules, MONDAY, "07:00:00", check_out)
    assert (result.early_minutes, result.psw_tier, result.pct) == (minutes, tier, Decimal(pct))


def test_both_sides_count_on_their_own(rules: Rules) -> None:
    result = day(rules, MONDAY, "08:45:00", "14:00:00")  # 75 late (TL3), 120 early (PSW4)
    assert (result.tl_tier, result.psw_tier, result.pct) == (3, 4, Decimal("2.75"))


def test_lone_punch_before_midpoint_is_a_check_in(rules: Rules) -> None:
    # 07:30–16:00: midpoint 11:45:00
    result = day(rules, MONDAY, "11:44:59")
    assert result.first_in == t("11:44:59") and result.last_out is None
    assert (result.late_minutes, result.tl_tier, result.early_minutes, result.psw_tier) == (254, 4, None, 4)
    assert result.pct == Decimal("3.00")
    on_time = day(rules, MONDAY, "07:10:00")
    assert (on_time.tl_tier, on_time.psw_tier, on_time.pct) == (0, 4, Decimal("1.50"))


def test_lone_punch_at_or_after_midpoint_is_a_check_out(rules: Rules) -> None:
    result = day(rules, MONDAY, "11:45:00")
    assert result.first_in is None and result.last_out == t("11:45:00")
    assert (result.late_minutes, result.tl_tier, result.early_minutes, result.psw_tier) == (None, 4, 255, 4)
    evening = day(rules, MONDAY, "16:20:00")
    assert (evening.tl_tier, evening.psw_tier, evening.early_minutes, evening.pct) == (
        4,
        0,
        0,
        Decimal("1.50"),
    )


def test_second_punch_counts_as_check_out_only_sixty_minutes_after_the_first(rules: Rules) -> None:
    short = day(rules, MONDAY, "07:20:00", "08:19:59")  # 59:59 apart -> the first alone
    assert short.first_in == t("07:20:00") and short.last_out is None and short.psw_tier == 4
    exact = day(rules, MONDAY, "07:20:00", "08:20:00")  # exactly 60 min -> a pair
    assert exact.first_in == t("07:20:00") and exact.last_out == t("08:20:00")
    assert (exact.early_minutes, exact.psw_tier) == (460, 4)
    double = day(rules, MONDAY, "07:20:00", "07:20:03", "16:10:00", "16:10:02")
    assert (double.first_in, double.last_out, double.pct) == (t("07:20:00"), t("16:10:02"), Decimal("0.00"))


def test_friday_ends_at_1630(rules: Rules) -> None:
    result = day(rules, FRIDAY, "07:25:00", "16:00:00")
    assert (result.early_minutes, result.psw_tier, result.pct) == (30, 1, Decimal("0.50"))
    assert day(rules, FRIDAY, "07:25:00", "16:30:00").pct == Decimal("0.00")


def test_ramadan_day_runs_0800_to_1500(rules: Rules) -> None:
    assert day(rules, RAMADAN_MONDAY, "08:00:00", "15:00:00").pct == Decimal("0.00")
    late = day(rules, RAMADAN_MONDAY, "08:01:00", "14:59:59")
    assert (late.late_minutes, late.tl_tier, late.early_minutes, late.psw_tier) == (1, 1, 0, 0)
    assert day(rules, RAMADAN_MONDAY, "07:31:00", "15:00:00").late_minutes == 0
    assert day(rules, RAMADAN_FRIDAY, "07:55:00", "15:00:00").early_minutes == 30


def test_leave_overrides_punches(rules: Rules) -> None:
    result = day(rules, MONDAY, "09:30:00", "12:00:00", leave="SAKIT")
    assert (result.status, result.tl_tier, result.psw_tier, result.pct) == ("SAKIT", 0, 0, Decimal("0.00"))
    assert (result.late_minutes, result.early_minutes) == (None, None)
    assert result.first_in == t("09:30:00") and result.last_out == t("12:00:00")  # still shown
    for jenis in ("CUTI", "IZIN", "DL", "TB"):
        assert day(rules, MONDAY, leave=jenis).status == jenis


def test_no_punch_no_leave_is_tk(rules: Rules) -> None:
    result = day(rules, MONDAY)
    assert (result.status, result.tl_tier, result.psw_tier, result.pct) == ("TK", 0, 0, Decimal("5.00"))
    assert result.first_in is None and result.last_out is None


def _month(rules: Rules, days: list[DayTruth]) -> MonthTotals:
    totals = MonthTotals()
    for d in days:
        totals.add(d)
    return totals


def _money(amounts: MonthAmounts) -> tuple[Decimal, int, int]:
    return amounts.total_pct, amounts.deduction, amounts.net


def test_tpp_40_60_with_a_score_of_85_and_without_one() -> None:
    policy = load_rules(profile="tpp").policy_for("PNS")
    assert (policy.policy_id, policy.discipline_share_pct, policy.needs_score) == (
        "tpp_40_60",
        Decimal("40.00"),
        True,
    )
    totals = MonthTotals(workdays=20, days_hadir=19, days_tk=1, total_pct_uncapped=Decimal("6.50"))
    scored = month_amounts(totals, 5_000_000, policy, Decimal("85"))
    assert (scored.discipline_amount, scored.discipline_deduction, scored.performance_amount) == (
        2_000_000, 130_000, 2_550_000,
    )  # fmt: skip
    assert (scored.deduction, scored.net) == (580_000, 4_420_000)
    unknown = month_amounts(totals, 5_000_000, policy, None)  # no score yet: that part is not paid
    assert (unknown.performance_amount, unknown.deduction, unknown.net) == (0, 3_130_000, 1_870_000)
    # honorer keep tukin_standard in the tpp profile (TPP is for ASN), the whole base cut
    assert load_rules(profile="tpp").policy_for("HONORER").policy_id == "tukin_standard"


def test_sakit_day_14_is_free_and_day_15_costs_under_tpp() -> None:
    policy = load_rules(profile="tpp").policy_for("PNS")
    assert evaluate_day(None, None, 27000, 57600, policy, "SAKIT", leave_day_no=14).pct == Decimal("0.00")
    assert evaluate_day(None, None, 27000, 57600, policy, "SAKIT", leave_day_no=15).pct == Decimal("2.00")
    assert evaluate_day(None, None, 27000, 57600, policy, "CUTI", leave_day_no=40).pct == Decimal("0.00")


def test_monthly_total_is_capped_at_100(rules: Rules) -> None:
    policy = rules.policy_for("PNS")
    totals = _month(rules, [day(rules, MONDAY)] * 21 + [day(rules, MONDAY, "07:00:00", "16:00:00")])
    assert (totals.workdays, totals.days_tk, totals.days_hadir, totals.total_pct_uncapped) == (
        22,
        21,
        1,
        Decimal("105.00"),
    )
    assert _money(month_amounts(totals, 2_531_250, policy)) == (Decimal("100.00"), 2_531_250, 0)


def test_deduction_rounds_half_up_to_whole_rupiah(rules: Rules) -> None:
    policy = rules.policy_for("PNS")
    one_tl1 = _month(rules, [day(rules, MONDAY, "07:40:00", "16:00:00")])  # 0.50%
    # 3,937,300 x 0.50% = 19,686.5 -> 19,687 (banker's rounding would give 19,686)
    assert _money(month_amounts(one_tl1, 3_937_300, policy)) == (Decimal("0.50"), 19_687, 3_917_613)
    # 1,512,350 x 0.50% = 7,561.75 -> 7,562
    assert _money(month_amounts(one_tl1, 1_512_350, policy))[1:] == (7_562, 1_504_788)
    leave_only = _month(rules, [day(rules, MONDAY, leave="CUTI")])
    assert (leave_only.days_leave, _money(month_amounts(leave_only, 1_000_000, policy))) == (
        1,
        (Decimal("0.00"), 0, 1_000_000),
    )


def test_pct_prints_with_the_seed_precision(rules: Rules) -> None:
    assert rules.fmt_pct(Decimal("0")) == "0.00" and rules.fmt_pct(Decimal("1.25") + Decimal("0.5")) == "1.75"


def test_unit_calendars_six_day_unit_and_its_own_holiday_rule(tmp_path) -> None:
    """Unit calendars (issue 14), the truth's side: a jenis_opd on a Mon–Sat schedule works Saturdays;
    one OPD of that type, open on cuti bersama, works 2026-02-16 but not the national holiday
    2026-02-17; an OPD type without a row keeps standar (Mon–Fri, closed on both)."""
    import shutil

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "work_schedules.csv").open("a", encoding="utf-8") as f:
        for weekday in range(1, 7):
            f.write(f"pkm6,normal,{weekday},07:30:00,14:30:00,contoh\n")
    (seeds / "opd_schedule.csv").write_text(
        "jenis_opd,opd_code,schedule_id,tutup_libur_nasional,tutup_cuti_bersama,source\n"
        "PUSKESMAS,,pkm6,,,contoh\n"
        ",PKM2,pkm6,true,false,contoh\n",
        encoding="utf-8",
    )
    rules = load_rules(seeds)
    saturday, cuti, imlek = dt.date(2026, 2, 14), dt.date(2026, 2, 16), dt.date(2026, 2, 17)
    assert rules.is_workday(saturday, "PUSKESMAS", "PKM1")
    assert not rules.is_workday(saturday, "DINAS", "DINKES")
    assert not rules.is_workday(saturday + dt.timedelta(days=1), "PUSKESMAS", "PKM1")  # Sunday: no row
    assert not rules.is_workday(cuti, "PUSKESMAS", "PKM1")
    assert rules.is_workday(cuti, "PUSKESMAS", "PKM2")
    assert not rules.is_workday(imlek, "PUSKESMAS", "PKM2")
    assert rules.schedule("PUSKESMAS", saturday, "PKM2") == (7 * 3600 + 1800, 14 * 3600 + 1800)
    assert rules.schedule("DINAS", dt.date(2026, 2, 13), "DINKES") == (7 * 3600 + 1800, 16 * 3600 + 1800)


# Issue 14: the generator's own attribution by window (docs/CONTRACTS.md "Rosters and shifts"), at the
# boundaries of the dbt unit tests (_shifts__unit_tests.yml): the truth must reach the same days.
NIGHT = dt.date(2026, 10, 9)  # a Friday


def at(date: dt.date, hhmmss: str) -> int:
    return moment(date, t(hhmmss))


def night_and_neighbours(rules: Rules) -> list[CandidateDay]:
    malam, pagi = rules.shift_types["MALAM"], rules.shift_types["PAGI"]
    after = NIGHT + dt.timedelta(days=1)
    return [shift_day(NIGHT, malam), shift_day(after, pagi)]


def test_shift_types_come_from_the_seed(rules: Rules) -> None:
    malam = rules.shift_types["MALAM"]
    assert (malam.start, malam.end) == (t("21:00:00"), t("07:00:00") + 86_400)  # ends the next day
    assert (malam.open, malam.close) == (malam.start - 120 * 60, malam.end + 240 * 60)
    assert "REG" not in rules.shift_types and "L" not in rules.shift_types


@pytest.mark.parametrize(
    ("punch_day", "hhmmss", "owner"),
    [
        (0, "20:55:00", 0),  # the night's check-in
        (1, "06:50:00", 0),  # 10 min from both boundaries (07:00): the night's schedule holds it
        (1, "07:02:00", 1),  # 2 min from both: the morning's schedule holds it (back to back)
        (1, "07:10:00", 1),
        (1, "14:05:00", 1),  # the morning shift's check-out
        (1, "19:00:00", None),  # after the morning's window, before nothing: quarantined
        (0, "18:59:59", None),  # one second before the night's window opens
    ],
)
def test_a_punch_belongs_to_the_window_with_the_nearest_boundary(
    rules: Rules, punch_day: int, hhmmss: str, owner: int | None
) -> None:
    days = night_and_neighbours(rules)
    chosen = day_for_punch(at(NIGHT + dt.timedelta(days=punch_day), hhmmss), days)
    assert chosen is (None if owner is None else days[owner])


def test_a_shift_window_is_half_open(rules: Rules) -> None:
    night = shift_day(NIGHT, rules.shift_types["MALAM"])
    assert day_for_punch(night.open, [night]) is night
    assert day_for_punch(night.close - 1, [night]) is night
    assert day_for_punch(night.close, [night]) is None  # 11:00:00 the next day is outside


def test_two_consecutive_nights_share_no_punch(rules: Rules) -> None:
    malam = rules.shift_types["MALAM"]
    first, second = shift_day(NIGHT, malam), shift_day(NIGHT + dt.timedelta(days=1), malam)
    after = NIGHT + dt.timedelta(days=1)
    assert day_for_punch(at(after, "07:02:00"), [first, second]) is first
    assert day_for_punch(at(after, "20:50:00"), [first, second]) is second


def test_a_regular_day_next_to_a_night_keeps_its_own_date(rules: Rules) -> None:
    # A regular Monday after a Sunday night: 07:02 is the night's (2 min) not the Monday's (07:30).
    sunday, monday = dt.date(2026, 10, 11), dt.date(2026, 10, 12)
    night = shift_day(sunday, rules.shift_types["MALAM"])
    start, end = rules.schedule("DINAS", monday)
    regular = regular_day(monday, start, end)
    assert day_for_punch(at(monday, "07:02:00"), [night, regular]) is night
    assert day_for_punch(at(monday, "07:25:00"), [night, regular]) is regular
    assert day_for_punch(at(sunday, "23:00:00"), [regular]) is None  # not the Monday's date


def test_night_late_tiers_on_the_shift(rules: Rules) -> None:
    malam = rules.shift_types["MALAM"]
    policy = rules.policy_for("PNS")
    on_time = evaluate_day(t("20:55:00"), t("07:02:00") + 86_400, malam.start, malam.end, policy)
    assert (on_time.status, on_time.tl_tier, on_time.psw_tier) == ("HADIR", 0, 0)
    assert evaluate_day(t("21:15:00"), t("07:02:00") + 86_400, malam.start, malam.end, policy).tl_tier == 1
    assert evaluate_day(t("21:31:00"), t("07:02:00") + 86_400, malam.start, malam.end, policy).tl_tier == 2
    lone = evaluate_day(t("06:50:00") + 86_400, t("06:50:00") + 86_400, malam.start, malam.end, policy)
    assert (lone.first_in, lone.tl_tier, lone.psw_tier) == (None, 4, 1)  # a check-out, no check-in
