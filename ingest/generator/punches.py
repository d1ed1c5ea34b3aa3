"""What people press on the machines: one day's punches for one employee, by behaviour profile,
plus the hand-placed boundary scenarios that make sure every rule edge occurs in a regency.

Times are seconds since local midnight. Nothing here decides a status: the truth is computed
afterwards from the punches actually written (see ingest.generator.core).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from ingest.generator.regency import Employee

DAY_SECONDS = 86_400
# Minutes late/early spread evenly over the four tiers of tukin_standard (1–30, 31–60, 61–90, ≥91).
_TIER_RANGES = ((1, 30), (31, 60), (61, 90), (91, 200))


def _tier_minutes(rng: random.Random) -> int:
    lo, hi = _TIER_RANGES[rng.randrange(4)]
    return rng.randint(lo, hi)


def _clamp(secs: int) -> int:
    return 0 if secs < 0 else DAY_SECONDS - 1 if secs >= DAY_SECONDS else secs


def plan_day(
    rng: random.Random, emp: Employee, start: int, end: int, on_leave: bool
) -> list[tuple[int, int]]:
    """(device idx, seconds) punches of an active employee on a workday."""
    r = rng.random
    profile = emp.profile
    if not emp.home_devices or profile == "vanished":
        return []
    if on_leave and r() >= 0.15:  # most people on leave stay away; some punch anyway (leave wins)
        return []
    if r() < (0.25 if profile == "absent" else 0.01):
        return []
    if profile == "late" and r() < 0.65:
        t_in = start + _tier_minutes(rng) * 60 + rng.randrange(60)
    elif profile != "disciplined" and r() < 0.04:
        t_in = start + rng.randrange(60, 30 * 60)
    else:
        t_in = start - rng.randrange(60, 55 * 60)
    if profile == "early_leaver" and r() < 0.6:
        t_out = end - _tier_minutes(rng) * 60 - rng.randrange(60)
    elif profile != "disciplined" and r() < 0.03:
        t_out = end - rng.randrange(60, 30 * 60)
    else:
        t_out = end + rng.randrange(0, 75 * 60)
    has_in = has_out = True
    if profile == "forgets_out":
        x = r()
        if x < 0.3:
            has_out = False
        elif x < 0.38:
            has_in = False
    else:
        if r() < 0.008:
            has_out = False
        elif r() < 0.004:
            has_in = False
    homes = emp.home_devices
    home = homes[0] if len(homes) == 1 else homes[rng.randrange(len(homes))]
    punches: list[tuple[int, int]] = []
    if has_in:
        punches.append((home, _clamp(t_in)))
    if r() < 0.05:  # back from a field visit or lunch: a midday punch
        punches.append((home, start + (end - start) // 2 + rng.randrange(-3600, 3600)))
    if has_out:
        punches.append((home, _clamp(t_out)))
    if emp.roam_devices and punches and r() < 0.25:
        k = 0 if r() < 0.5 else len(punches) - 1
        punches[k] = (emp.roam_devices[rng.randrange(len(emp.roam_devices))], punches[k][1])
    if profile == "double_punch" and r() < 0.6 or r() < 0.02:
        punches += [(d, _clamp(t + rng.randint(1, 30))) for d, t in punches]
    return punches


def plan_off_day(rng: random.Random, emp: Employee) -> list[tuple[int, int]]:
    """A weekend/holiday visit (overtime, a Puskesmas shift): punches that must not make a workday."""
    if not emp.home_devices or emp.profile == "vanished":
        return []
    home = emp.home_devices[0]
    t = 8 * 3600 + rng.randrange(3 * 3600)
    return [(home, t), (home, t + 2 * 3600 + rng.randrange(3 * 3600))]


@dataclass(frozen=True)
class Scenario:
    """A day placed by hand so a rule edge surely occurs; `when` filters the day it may land on."""

    name: str
    punches: Callable[[int, int], list[int]]  # (start, end) -> seconds
    when: Callable[[dt.date, bool], bool] = lambda day, ramadan: not ramadan
    on_leave: bool = False


def _mid_before(s: int, e: int) -> int:
    return (s + e - 1) // 2  # the last whole second strictly before start + (end - start) / 2


def _mid_at(s: int, e: int) -> int:
    return (s + e + 1) // 2  # the first whole second at or after the midpoint


def _late_by(seconds: int) -> Callable[[int, int], list[int]]:
    return lambda start, end: [start + seconds, end + 600]


def _early_by(seconds: int) -> Callable[[int, int], list[int]]:
    return lambda start, end: [start - 600, end - seconds]


def boundary_scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    for m in (0, 1, 30, 31, 60, 61, 90, 91):
        for s in (0, 59):
            # late m exactly: start + m min + s sec (07:30:59 -> 0, 07:31:00 -> 1)
            out.append(Scenario(f"late_{m}m{s:02d}s", _late_by(m * 60 + s)))
            # early m exactly: end - m min - s sec (15:59:01 -> 0, 15:59:00 -> 1)
            out.append(Scenario(f"early_{m}m{s:02d}s", _early_by(m * 60 + s)))
    out += [
        Scenario("lone_before_midpoint", lambda a, b: [_mid_before(a, b)]),
        Scenario("lone_at_midpoint", lambda a, b: [_mid_at(a, b)]),
        Scenario("lone_morning", lambda a, b: [a - 1200]),
        Scenario("lone_afternoon", lambda a, b: [b + 900]),
        Scenario("gap_59m59s", lambda a, b: [a - 600, a - 600 + 3599]),
        Scenario("gap_60m", lambda a, b: [a - 600, a - 600 + 3600]),
        Scenario("late_lone_gap", lambda a, b: [a + 45 * 60, a + 45 * 60 + 1800]),
        Scenario("double_seconds_apart", lambda a, b: [a - 900, a - 897, b + 300, b + 301]),
        Scenario(
            "friday_out_1600", lambda a, b: [a - 600, 16 * 3600], lambda d, r: d.isoweekday() == 5 and not r
        ),
        Scenario("friday_out_1630", lambda a, b: [a - 600, b], lambda d, r: d.isoweekday() == 5 and not r),
        Scenario("ramadan_0800_1500", lambda a, b: [a, b], lambda d, r: r and d.isoweekday() < 5),
        Scenario("ramadan_0731_late0", lambda a, b: [7 * 3600 + 31 * 60, b], lambda d, r: r),
        Scenario("ramadan_0801", lambda a, b: [a + 60, b], lambda d, r: r),
        Scenario("leave_with_punches", lambda a, b: [a - 300, b + 300], lambda d, r: True, on_leave=True),
        Scenario("leave_lone_punch", lambda a, b: [a + 7200], lambda d, r: True, on_leave=True),
    ]
    return out


def plan_shift(
    rng: random.Random, emp: Employee, start: int, end: int, on_leave: bool, night: bool
) -> list[tuple[int, int]]:
    """(device idx, seconds since the midnight of the day the shift starts) punches of a rostered
    shift [start, end]; past 86 400 is the next day (a night's check-out). Most come 5–45 min before
    and leave up to an hour after; the late profile is late over every tier; after a night some miss
    the morning check-out (the forgets_out profile often)."""
    r = rng.random
    profile = emp.profile
    if not emp.home_devices or profile == "vanished":
        return []
    if on_leave and r() >= 0.15:
        return []
    if r() < (0.25 if profile == "absent" else 0.01):
        return []
    if profile == "late" and r() < 0.65:
        t_in = start + _tier_minutes(rng) * 60 + rng.randrange(60)
    elif profile != "disciplined" and r() < 0.05:
        t_in = start + rng.randrange(60, 30 * 60)
    else:
        t_in = start - rng.randrange(5 * 60, 45 * 60)
    if profile == "early_leaver" and r() < 0.5:
        t_out = end - _tier_minutes(rng) * 60 - rng.randrange(60)
    else:
        t_out = end + rng.randrange(0, 60 * 60)
    has_in = has_out = True
    if night and r() < (0.35 if profile == "forgets_out" else 0.06):
        has_out = False  # tired after the night: straight home
    elif profile == "forgets_out" and r() < 0.1:
        has_in = False
    homes = emp.home_devices
    home = homes[0] if len(homes) == 1 else homes[rng.randrange(len(homes))]
    punches: list[tuple[int, int]] = []
    if has_in:
        punches.append((home, t_in))
    if has_out:
        punches.append((home, t_out))
    if profile == "double_punch" and r() < 0.6:
        punches += [(d, t + rng.randint(1, 30)) for d, t in punches]
    return punches


def plan_rostered_day_off(rng: random.Random, emp: Employee) -> list[tuple[int, int]]:
    """A rostered day off (L): now and then one punch in the afternoon (picking up a letter, a
    meeting), in no shift's window: quarantined, never a day's punch."""
    if not emp.home_devices or emp.profile == "vanished" or rng.random() >= 0.12:
        return []
    return [(emp.home_devices[0], 13 * 3600 + rng.randrange(4 * 3600))]
