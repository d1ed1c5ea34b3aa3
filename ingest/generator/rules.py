"""The daily and monthly attendance rules, read from the same dbt seeds the warehouse uses.

This is the generator's independent implementation of docs/CONTRACTS.md "Daily rule details"
(DESIGN §6 made exact). Holidays, Ramadan periods, schedules, tiers, leave and TK percents and the
monthly cap all come from `dbt/seeds/*.csv`, so the truth file and dbt can never disagree on data,
only on logic — which is exactly what the truth file is there to catch.

Times of day are whole seconds since local midnight (the device's clock, `punch_local`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from warehouse.seeds import read_seed
from warehouse.settings import SEEDS_DIR

DEFAULT_SCHEDULE = "standar"
DEFAULT_POLICY = "tukin_standard"
LEAVE_TYPES = ("CUTI", "SAKIT", "IZIN", "DL", "TB")
PENDING = "MENUNGGU"  # not known yet (issue 13)
MISSING_TIER = 4  # a missing check-in/out counts as the worst tier (DESIGN §6)
_MAX_MINUTES = 24 * 60
_ZERO = Decimal("0")
_HUNDRED = Decimal("100")


def _secs(hhmmss: str) -> int:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return h * 3600 + m * 60 + s


@dataclass(frozen=True)
class Policy:
    policy_id: str
    tk_pct: Decimal
    cap_pct: Decimal
    checkout_gap_seconds: int
    # leave type -> ((from_day, pct), ...) by from_day (seed policy_leave; issue 20 rules by duration)
    leave_rules: dict[str, tuple[tuple[int, Decimal], ...]]
    # issue 15 (seed policy_koreksi): correction type -> (percent, whether TL/PSW still apply)
    koreksi: dict[str, tuple[Decimal, bool]]
    # side -> list indexed by whole minutes (0.._MAX_MINUTES) of (tier, pct); built once for speed.
    tier_by_minutes: dict[str, list[tuple[int, Decimal]]]
    missing_pct: dict[str, Decimal]

    # issue 20 (seed policy_components): the share of the base attendance cuts, and whether the rest
    # is paid by an e-kinerja score (a `kinerja` component) or in full
    discipline_share_pct: Decimal = _HUNDRED
    needs_score: bool = False

    def leave_pct(self, leave: str, day_no: int) -> Decimal:
        """The percent of a leave day that is day `day_no` of its run (the last rule reached)."""
        pct = _ZERO
        for from_day, rule_pct in self.leave_rules[leave]:
            if day_no >= from_day:
                pct = rule_pct
        return pct

    def tier(self, side: str, minutes: int) -> tuple[int, Decimal]:
        table = self.tier_by_minutes[side]
        return table[minutes] if minutes < len(table) else table[-1]


REGULAR_SHIFT = "REG"  # seed shift_types: the regular day (the OPD's schedule, punches of the date)
DAY_OFF_SHIFT = "L"  # seed shift_types: a rostered day off


@dataclass(frozen=True)
class ShiftType:
    """A shift of seed shift_types in seconds since the midnight of the day it starts: `end` is past
    86 400 when `pulang <= masuk` (it ends the next day); the punch window is [open, close)."""

    code: str
    start: int
    end: int
    open: int
    close: int
    policy_id: str | None


@dataclass(frozen=True)
class Rules:
    holidays: frozenset[dt.date]
    ramadan: tuple[tuple[dt.date, dt.date], ...]
    schedules: dict[tuple[str, str, int], tuple[int, int]]
    # seed opd_schedule (unit calendars, issue 14): jenis_opd or ("", opd_code) ->
    # (schedule_id, closed on national holidays, closed on cuti bersama)
    opd_schedule: dict[str | tuple[str, str], tuple[str, bool, bool]]
    policies: dict[str, Policy]
    assignment: dict[str, str]
    pct_places: int  # decimals of the seed percents: sums keep them, so outputs print exactly
    # issue 14 (seed shift_types): the shifts a roster names, by code (REG and L have no times)
    shift_types: dict[str, ShiftType] = field(default_factory=dict)
    holiday_kinds: dict[dt.date, frozenset[str]] = field(default_factory=dict)

    def fmt_pct(self, pct: Decimal) -> str:
        return f"{pct:.{self.pct_places}f}"

    def calendar(self, jenis_opd: str | None, opd_code: str | None = None) -> tuple[str, bool, bool]:
        """(schedule_id, closed on national holidays, closed on cuti bersama) of an OPD: its own
        opd_schedule row, else its type's, else standar closed on both."""
        if opd_code is not None and ("", opd_code) in self.opd_schedule:
            return self.opd_schedule[("", opd_code)]
        if jenis_opd is not None and jenis_opd in self.opd_schedule:
            return self.opd_schedule[jenis_opd]
        return (DEFAULT_SCHEDULE, True, True)

    def is_workday(self, day: dt.date, jenis_opd: str | None = None, opd_code: str | None = None) -> bool:
        """A weekday the OPD's schedule has hours for (standar: Mon–Fri), not a national holiday or
        cuti bersama that closes it (employee activity checked elsewhere)."""
        schedule_id, closed_national, closed_cuti = self.calendar(jenis_opd, opd_code)
        if (schedule_id, self.period(day), day.isoweekday()) not in self.schedules:
            return False
        kinds = self.holiday_kinds.get(day, frozenset())
        if day in self.holidays and not kinds:
            return False
        return not (
            (closed_national and "libur_nasional" in kinds) or (closed_cuti and "cuti_bersama" in kinds)
        )

    def period(self, day: dt.date) -> str:
        return "ramadan" if any(a <= day <= b for a, b in self.ramadan) else "normal"

    def schedule(self, jenis_opd: str, day: dt.date, opd_code: str | None = None) -> tuple[int, int]:
        """(start, end) in seconds since midnight for an OPD (type) on a day."""
        schedule_id = self.calendar(jenis_opd, opd_code)[0]
        key = (schedule_id, self.period(day), day.isoweekday())
        try:
            return self.schedules[key]
        except KeyError:
            raise ValueError(f"work_schedules.csv has no row for {key}") from None

    def policy_for(self, jenis_pegawai: str) -> Policy:
        return self.policies[self.assignment.get(jenis_pegawai, DEFAULT_POLICY)]


def _build_tiers(rows: list[dict[str, str]]) -> tuple[list[tuple[int, Decimal]], Decimal]:
    table: list[tuple[int, Decimal]] = [(0, _ZERO)] * (_MAX_MINUTES + 1)
    missing = _ZERO
    for row in rows:
        tier, pct = int(row["tier"]), Decimal(row["pct"])
        lo = int(row["min_minutes"])
        hi = int(row["max_minutes"]) if row["max_minutes"].strip() else _MAX_MINUTES
        for m in range(max(lo, 1), min(hi, _MAX_MINUTES) + 1):
            table[m] = (tier, pct)
        if tier == MISSING_TIER:
            missing = pct
    return table, missing


def load_rules(seeds_dir: Path = SEEDS_DIR, profile: str = "") -> Rules:
    """The seeds' rules; `profile` (seed regency_profiles) picks the policies per employee type,
    '' = seed policy_assignment (as the warehouse does with ABSENSI_REGENCY_PROFILE unset)."""
    holidays = frozenset(dt.date.fromisoformat(r["holiday_date"]) for r in read_seed("holidays", seeds_dir))
    ramadan = tuple(
        (dt.date.fromisoformat(r["start_date"]), dt.date.fromisoformat(r["end_date"]))
        for r in read_seed("ramadan_periods", seeds_dir)
    )
    schedules = {
        (r["schedule_id"], r["period"], int(r["iso_weekday"])): (_secs(r["start_time"]), _secs(r["end_time"]))
        for r in read_seed("work_schedules", seeds_dir)
    }

    def closed(value: str | None) -> bool:
        return (value or "").strip().lower() not in ("false", "f", "0", "no")

    opd_schedule: dict[str | tuple[str, str], tuple[str, bool, bool]] = {
        (r["jenis_opd"] if r["jenis_opd"].strip() else ("", r["opd_code"].strip())): (
            r["schedule_id"],
            closed(r.get("tutup_libur_nasional")),
            closed(r.get("tutup_cuti_bersama")),
        )
        for r in read_seed("opd_schedule", seeds_dir)
    }
    holiday_kinds: dict[dt.date, set[str]] = {}
    for r in read_seed("holidays", seeds_dir):
        holiday_kinds.setdefault(dt.date.fromisoformat(r["holiday_date"]), set()).add(r["kind"])
    tier_rows = read_seed("policy_tiers", seeds_dir)
    leave_rows = read_seed("policy_leave", seeds_dir)
    koreksi_rows = read_seed("policy_koreksi", seeds_dir)
    component_rows = read_seed("policy_components", seeds_dir)
    policies: dict[str, Policy] = {}
    for r in read_seed("policies", seeds_dir):
        pid = r["policy_id"]
        tiers: dict[str, list[tuple[int, Decimal]]] = {}
        missing: dict[str, Decimal] = {}
        for side in ("TL", "PSW"):
            rows = [t for t in tier_rows if t["policy_id"] == pid and t["side"] == side]
            tiers[side], missing[side] = _build_tiers(rows)
        policies[pid] = Policy(
            policy_id=pid,
            tk_pct=Decimal(r["tk_pct"]),
            cap_pct=Decimal(r["monthly_cap_pct"]),
            checkout_gap_seconds=int(r["checkout_min_gap_minutes"]) * 60,
            leave_rules={
                leave_type: tuple(
                    sorted(
                        (int(x["from_day"] or 1), Decimal(x["pct"]))
                        for x in leave_rows
                        if x["policy_id"] == pid and x["leave_type"] == leave_type
                    )
                )
                for leave_type in {x["leave_type"] for x in leave_rows if x["policy_id"] == pid}
            },
            koreksi={
                x["correction_type"]: (Decimal(x["pct"]), x["tl_psw_apply"].strip().lower() == "true")
                for x in koreksi_rows
                if x["policy_id"] == pid
            },
            tier_by_minutes=tiers,
            missing_pct=missing,
            discipline_share_pct=sum(
                (Decimal(c["share_pct"]) for c in component_rows
                 if c["policy_id"] == pid and c["takes_attendance"].lower() == "true"),
                _ZERO,
            ) if any(c["policy_id"] == pid for c in component_rows) else _HUNDRED,
            needs_score=any(c["policy_id"] == pid and c["component"] == "kinerja" for c in component_rows),
        )  # fmt: skip
    if profile:
        rows = [r for r in read_seed("regency_profiles", seeds_dir) if r["profile"] == profile]
        if not rows:
            raise ValueError(f"regency_profiles.csv has no profile {profile!r}")
    else:
        rows = read_seed("policy_assignment", seeds_dir)
    assignment = {r["jenis_pegawai"]: r["policy_id"] for r in rows}
    pcts = [Decimal(t["pct"]) for t in tier_rows] + [Decimal(x["pct"]) for x in leave_rows]
    pcts += [p.tk_pct for p in policies.values()] + [p.cap_pct for p in policies.values()]
    places = max([2] + [-int(p.as_tuple().exponent) for p in pcts])
    return Rules(
        holidays,
        ramadan,
        schedules,
        opd_schedule,
        policies,
        assignment,
        places,
        shift_types=load_shift_types(seeds_dir),
        holiday_kinds={d: frozenset(k) for d, k in holiday_kinds.items()},
    )


def load_shift_types(seeds_dir: Path = SEEDS_DIR) -> dict[str, ShiftType]:
    """Seed shift_types with times (REG and L, without, are left out)."""
    shifts: dict[str, ShiftType] = {}
    for r in read_seed("shift_types", seeds_dir):
        if not r["masuk"].strip():
            continue
        start, end = _secs(r["masuk"]), _secs(r["pulang"])
        if end <= start:
            end += 86_400  # pulang at or before masuk: the next day
        buka = int(r["buka_absen_menit"] or 0) * 60
        tutup = int(r["tutup_absen_menit"] or 0) * 60
        shifts[r["shift_code"]] = ShiftType(
            r["shift_code"], start, end, start - buka, end + tutup, r["policy_id"].strip() or None
        )
    return shifts


@dataclass(frozen=True)
class CandidateDay:
    """A day that may take a rostered employee's punch (docs/CONTRACTS.md "Rosters and shifts").

    Times are seconds on one axis for the whole window (`moment`): the schedule [start, end] and the
    punch window [open, close). `scoped`: a day of the employee's own (active, in the window); an
    unscoped neighbour still competes for a punch but keeps none."""

    day: dt.date
    shift_code: str
    start: int
    end: int
    open: int
    close: int
    scoped: bool = True


def moment(day: dt.date, secs: int = 0) -> int:
    """Seconds since 0001-01-01 00:00 local: one axis for punches and windows across midnight."""
    return (day.toordinal() - 1) * 86_400 + secs


def shift_day(day: dt.date, shift: ShiftType, scoped: bool = True) -> CandidateDay:
    base = moment(day)
    return CandidateDay(
        day, shift.code, base + shift.start, base + shift.end, base + shift.open, base + shift.close, scoped
    )


def regular_day(day: dt.date, start: int, end: int, scoped: bool = True) -> CandidateDay:
    """A regular day: its schedule, and the calendar date as its window."""
    base = moment(day)
    return CandidateDay(day, REGULAR_SHIFT, base + start, base + end, base, base + 86_400, scoped)


def day_for_punch(punch: int, candidates: list[CandidateDay]) -> CandidateDay | None:
    """The day a punch (a `moment`) belongs to among the days that may take it (those of its date
    and the days before and after): of the days whose window [open, close) holds it, the one with a
    boundary (schedule start or end) nearest to it; on a tie the one whose schedule [start, end] holds
    it, then the earlier day. None: in no window. The caller keeps it only for a scoped day."""
    best: tuple[int, bool, dt.date] | None = None
    chosen: CandidateDay | None = None
    for c in candidates:
        if not c.open <= punch < c.close:
            continue
        key = (min(abs(punch - c.start), abs(punch - c.end)), not c.start <= punch <= c.end, c.day)
        if best is None or key < best:
            best, chosen = key, c
    return chosen


@dataclass(frozen=True, slots=True)
class DayTruth:
    status: str
    tl_tier: int
    psw_tier: int
    late_minutes: int | None
    early_minutes: int | None
    pct: Decimal
    first_in: int | None  # seconds since midnight
    last_out: int | None


def evaluate_day(
    first: int | None,
    last: int | None,
    start: int,
    end: int,
    policy: Policy,
    leave: str | None = None,
    pending: bool = False,
    leave_day_no: int = 1,
    *,
    excuse_tl: bool = False,
    excuse_psw: bool = False,
    remote: str | None = None,
    broken_device: bool = False,
) -> DayTruth:
    """One employee-workday from its earliest and latest matched punch (None, None = no punch).

    `pending`: a device the day depends on was not read past the day's end, so nothing but a leave
    letter is known yet: MENUNGGU, no tier, no percent, the check-in/out seen so far (issue 13).

    Approved corrections (issue 15; a forgotten check-in/out is already among first/last):
    `excuse_tl` / `excuse_psw` give that side tier 0 and 0 %, its minutes still counted; `remote`
    (WFH/WFA) makes the day present under policy_koreksi, known like a leave; `broken_device`: a
    device the day depends on was broken, so a day without a punch is present (manual attendance)."""
    first_in: int | None = None
    last_out: int | None = None
    if first is not None:
        assert last is not None and last >= first
        if last - first >= policy.checkout_gap_seconds:
            first_in, last_out = first, last
        elif 2 * first < start + end:  # before the midpoint start + (end - start) / 2
            first_in = first
        else:
            last_out = first
    if leave is not None:
        return DayTruth(leave, 0, 0, None, None, policy.leave_pct(leave, leave_day_no), first_in, last_out)
    remote_pct, remote_tiers = policy.koreksi.get(remote, (_ZERO, False)) if remote else (_ZERO, False)
    if remote is not None and not remote_tiers:
        return DayTruth("HADIR", 0, 0, None, None, remote_pct, first_in, last_out)
    if pending:
        return DayTruth(PENDING, 0, 0, None, None, _ZERO, first_in, last_out)
    if first is None and remote is None:
        if broken_device:
            return DayTruth(
                "HADIR", 0, 0, None, None, policy.koreksi.get("MESIN_RUSAK", (_ZERO, False))[0], None, None
            )
        return DayTruth("TK", 0, 0, None, None, policy.tk_pct, None, None)
    if first_in is None:
        late, tl, tl_pct = None, MISSING_TIER, policy.missing_pct["TL"]
    else:
        late = max(0, first_in - start) // 60
        tl, tl_pct = policy.tier("TL", late)
    if last_out is None:
        early, psw, psw_pct = None, MISSING_TIER, policy.missing_pct["PSW"]
    else:
        early = max(0, end - last_out) // 60
        psw, psw_pct = policy.tier("PSW", early)
    if excuse_tl:
        tl, tl_pct = 0, _ZERO
    if excuse_psw:
        psw, psw_pct = 0, _ZERO
    return DayTruth("HADIR", tl, psw, late, early, tl_pct + psw_pct + remote_pct, first_in, last_out)


@dataclass(slots=True)
class MonthTotals:
    workdays: int = 0
    days_hadir: int = 0
    days_tk: int = 0
    days_leave: int = 0
    days_menunggu: int = 0
    total_pct_uncapped: Decimal = _ZERO

    def add(self, day: DayTruth) -> None:
        self.workdays += 1
        if day.status == "HADIR":
            self.days_hadir += 1
        elif day.status == "TK":
            self.days_tk += 1
        elif day.status == PENDING:
            self.days_menunggu += 1
        else:
            self.days_leave += 1
        self.total_pct_uncapped += day.pct


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class MonthAmounts:
    total_pct: Decimal
    discipline_amount: int
    discipline_deduction: int
    performance_amount: int
    sanction_deduction: int
    deduction: int
    net: int


def month_amounts(
    totals: MonthTotals, base: int, policy: Policy, score: Decimal | None = None
) -> MonthAmounts:
    """A month's money (issue 20 components). The attendance percent, capped, cuts the discipline
    share of the base; the productivity rest is paid by the month's e-kinerja `score` when the policy
    has a `kinerja` component (nothing while no score is known), in full otherwise."""
    total_pct = min(policy.cap_pct, totals.total_pct_uncapped)
    discipline = round_half_up(Decimal(base) * policy.discipline_share_pct / _HUNDRED)
    discipline_cut = round_half_up(Decimal(discipline) * total_pct / _HUNDRED)
    rest = base - discipline
    if not policy.needs_score:
        performance = rest
    elif score is None:
        performance = 0
    else:
        performance = round_half_up(Decimal(rest) * score / _HUNDRED)
    paid = discipline - discipline_cut + performance
    return MonthAmounts(total_pct, discipline, discipline_cut, performance, 0, base - paid, paid)


def sanction_effects_enabled(seeds_dir: Path = SEEDS_DIR) -> bool:
    """Whether seed sanction_settings switches on a PP 94/2021 pay effect (the truth models none)."""
    return any(
        "true"
        in (row["apply_sanction_cut"].strip().lower(), row["stop_pay_after_consecutive_tk"].strip().lower())
        for row in read_seed("sanction_settings", seeds_dir)
    )
