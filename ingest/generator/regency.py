"""The reference side of a synthetic regency: OPDs, devices, employees, pins and leave records."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.generator import catalog
from ingest.nip import make_nik, make_nip, validate_nip

PROFILES = (
    "disciplined",  # in before start, out after end
    "late",  # chronically late, minutes spread over every TL tier
    "early_leaver",  # leaves early, minutes spread over every PSW tier
    "absent",  # frequently absent without a leave record (TK)
    "on_leave",  # long CUTI or TB besides the usual sick/permission days
    "forgets_out",  # often only one punch a day
    "double_punch",  # presses twice, seconds apart
    "roamer",  # sometimes punches at another OPD's device
    "vanished",  # never punches: a month of TK, exercises the 100% cap
)
PROFILE_WEIGHTS = (46, 10, 8, 5, 8, 7, 7, 6, 0.3)
JENIS_WEIGHTS = (("PNS", 55), ("CPNS", 5), ("PPPK", 20), ("HONORER", 20))

# Pins of the scheme: any-device pins are 1..N; device-specific ones live in their own ranges, except
# the deliberate collisions that reuse another employee's any-device pin on one device.
SPECIFIC_PIN_BASE = 50_000
SPECIFIC_ONLY_PIN_BASE = 60_000
UNKNOWN_PIN_BASE = 90_000


@dataclass
class Opd:
    code: str
    nama: str
    jenis: str
    devices: list[int] = field(default_factory=list)


@dataclass
class Device:
    idx: int
    sn: str
    nama: str
    opd_idx: int
    host: str
    port: int
    protocol: str
    timezone: str


@dataclass
class Employee:
    idx: int
    nip: str
    nama: str
    jenis: str
    golongan: str
    jabatan: str
    kelas: int
    opd_idx: int
    base: int
    aktif_mulai: dt.date
    aktif_sampai: dt.date | None
    birth: dt.date
    gender: int  # 1 male, 2 female
    is_head: bool = False
    profile: str = "disciplined"
    pin_any: str | None = None
    pin_specific: dict[int, str] = field(default_factory=dict)  # device idx -> pin
    home_devices: list[int] = field(default_factory=list)  # home OPD machines where a pin works
    roam_devices: list[int] = field(default_factory=list)

    def pin_for(self, device_idx: int) -> str | None:
        return self.pin_specific.get(device_idx, self.pin_any)

    def active_on(self, day: dt.date) -> bool:
        return self.aktif_mulai <= day and (self.aktif_sampai is None or day <= self.aktif_sampai)


@dataclass
class Leave:
    emp_idx: int
    jenis: str
    mulai: dt.date
    sampai: dt.date
    nomor_surat: str


@dataclass
class Regency:
    profile: catalog.RegencyProfile
    opds: list[Opd]
    devices: list[Device]
    employees: list[Employee]
    leaves: list[Leave]


def _ordered_opd_catalog(profile: catalog.RegencyProfile) -> list[tuple[str, str]]:
    """(nama_opd, jenis_opd), interleaved so that any prefix of a few entries has every jenis."""
    streams = [
        [(d, "DINAS") for d in catalog.DINAS],
        [(f"Kecamatan {k}", "KECAMATAN") for k in profile.kecamatan],
        [(f"Kelurahan {k}", "KELURAHAN") for k in profile.kelurahan],
        [(f"Puskesmas {k}", "PUSKESMAS") for k in profile.puskesmas],
        [(b, "BADAN") for b in catalog.BADAN],
    ]
    ordered = [("Sekretariat Daerah", "SETDA"), ("Sekretariat DPRD", "SETWAN")]
    while any(streams):
        for stream in streams:
            if stream:
                ordered.append(stream.pop(0))
    return ordered


_CODE_PREFIX = {"DINAS": "DIN", "BADAN": "BDN", "KECAMATAN": "KEC", "KELURAHAN": "KEL", "PUSKESMAS": "PKM"}


def build_opds_and_devices(
    rng: random.Random, profile: catalog.RegencyProfile, n_devices: int, host: str, base_port: int
) -> tuple[list[Opd], list[Device]]:
    ordered = _ordered_opd_catalog(profile)
    # Most OPDs have one machine; about one device in six is a second/third machine of a big office.
    n_opd = max(1, min(len(ordered), n_devices - n_devices // 6))
    opds: list[Opd] = []
    counters: dict[str, int] = {}
    for nama, jenis in ordered[:n_opd]:
        counters[jenis] = counters.get(jenis, 0) + 1
        code = _CODE_PREFIX[jenis] + f"{counters[jenis]:02d}" if jenis in _CODE_PREFIX else jenis
        opds.append(Opd(code, nama, jenis))
    per_opd = [1] * n_opd
    by_weight = sorted(range(n_opd), key=lambda i: (-catalog.HEADCOUNT_WEIGHT[opds[i].jenis], i))
    for k in range(n_devices - n_opd):
        per_opd[by_weight[k % n_opd]] += 1
    devices: list[Device] = []
    used_sn: set[str] = set()
    for opd_idx, opd in enumerate(opds):
        for k in range(per_opd[opd_idx]):
            prefix, model = catalog.DEVICE_MODELS[rng.randrange(len(catalog.DEVICE_MODELS))]
            sn = f"{prefix}{rng.randrange(2018, 2025)}{rng.randrange(10_000, 100_000)}"
            while sn in used_sn:
                sn = f"{prefix}{rng.randrange(2018, 2025)}{rng.randrange(10_000, 100_000)}"
            used_sn.add(sn)
            idx = len(devices)
            place = "Lobi" if k == 0 else f"Pintu {k + 1}"
            devices.append(
                Device(
                    idx=idx,
                    sn=sn,
                    nama=f"{model} {place} {opd.nama}",
                    opd_idx=opd_idx,
                    host=host,
                    port=base_port + idx,
                    # Mostly TCP; every eighth machine speaks UDP (older firmware).
                    protocol="udp" if idx % 8 == 7 else "tcp",
                    timezone=profile.timezone,
                )
            )
            opd.devices.append(idx)
    return opds, devices


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    wsum = sum(weights)
    exact = [total * w / wsum for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _random_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def _person_name(rng: random.Random, profile: catalog.RegencyProfile, gender: int, jenis_opd: str) -> str:
    first = rng.choice(catalog.MALE_FIRST if gender == 1 else catalog.FEMALE_FIRST)
    name = f"{first} {rng.choice(profile.family_names)}"
    if rng.random() < 0.4:
        name = f"{first} {rng.choice(catalog.MALE_FIRST)} {rng.choice(profile.family_names)}"
    if rng.random() < 0.55:
        degrees = catalog.HEALTH_DEGREES if jenis_opd == "PUSKESMAS" else catalog.DEGREES
        name = f"{name}, {rng.choice(degrees)}"
    return name


def build_employees(
    rng: random.Random,
    profile: catalog.RegencyProfile,
    opds: list[Opd],
    n_employees: int,
    start: dt.date,
    end: dt.date,
) -> list[Employee]:
    weights = [catalog.HEADCOUNT_WEIGHT[o.jenis] for o in opds]
    per_opd = _largest_remainder(n_employees, weights)
    jenis_names = [j for j, _ in JENIS_WEIGHTS]
    jenis_w = [w for _, w in JENIS_WEIGHTS]
    employees: list[Employee] = []
    used: set[str] = set()
    for opd_idx, count in enumerate(per_opd):
        opd = opds[opd_idx]
        for k in range(count):
            idx = len(employees)
            # The first four employees of the regency (Setda) cover every jenis_pegawai.
            if k == 0:
                jenis = "PNS"  # the head of the office
            else:
                jenis = jenis_names[idx] if idx < 4 else rng.choices(jenis_names, jenis_w)[0]
            gender = 1 if rng.random() < 0.52 else 2
            if jenis == "HONORER":
                jabatan, kelas = rng.choice(catalog.HONORER_JABATAN)
                golongan = ""
            else:
                positions = catalog.JABATAN[opd.jenis]
                jabatan, kelas = positions[0] if k == 0 else rng.choice(positions[1:] or positions)
                golongan = rng.choice(catalog.GOLONGAN_PPPK if jenis == "PPPK" else catalog.GOLONGAN_PNS)
                if jenis == "CPNS":
                    golongan = rng.choice(("II/a", "III/a"))
            if jenis == "CPNS":
                birth_lo, birth_hi = dt.date(start.year - 35, 1, 1), dt.date(start.year - 21, 12, 31)
            else:
                birth_lo, birth_hi = dt.date(start.year - 57, 1, 1), dt.date(start.year - 22, 12, 31)
            birth = _random_date(rng, birth_lo, birth_hi)
            earliest_tmt = dt.date(birth.year + 19, birth.month, 1)
            latest_tmt = dt.date(start.year - 1, 12, 1)
            if jenis == "CPNS":
                earliest_tmt = max(earliest_tmt, dt.date(start.year - 1, 1, 1))
            elif jenis == "PPPK":
                earliest_tmt = max(earliest_tmt, dt.date(2021, 1, 1))
            tmt = _random_date(rng, earliest_tmt, max(earliest_tmt, latest_tmt)).replace(day=1)
            employees.append(
                Employee(
                    idx=idx,
                    nip="",
                    nama=_person_name(rng, profile, gender, opd.jenis),
                    jenis=jenis,
                    golongan=golongan,
                    jabatan=jabatan,
                    kelas=kelas,
                    opd_idx=opd_idx,
                    base=catalog.TUNJANGAN_BY_KELAS[kelas],
                    aktif_mulai=tmt,
                    aktif_sampai=None,
                    birth=birth,
                    gender=gender,
                    is_head=k == 0,
                )
            )
    _set_activity_changes(rng, employees, start, end)
    for emp in employees:  # the NIP carries the TMT, so it is made once the dates are settled
        emp.nip = _unique_number(rng, profile, emp, used)
    return employees


def _set_activity_changes(
    rng: random.Random, employees: list[Employee], start: dt.date, end: dt.date
) -> None:
    """A few new hires inside the period, a few leavers inside it, and one who left before it."""
    n = len(employees)
    order = [i for i in range(n) if not employees[i].is_head]  # heads are neither new nor leaving
    rng.shuffle(order)
    n = len(order)
    n_new = max(1, n * 3 // 100) if n >= 10 else 0
    n_gone = max(1, n * 3 // 100) if n >= 10 else 0
    for i in order[:n_new]:
        emp = employees[i]
        emp.aktif_mulai = _random_date(rng, start, end) if end > start else start
        if emp.jenis == "PNS":
            emp.jenis = "CPNS"  # a new appointment starts as CPNS
            emp.golongan = rng.choice(("II/a", "III/a"))
            if start.year - emp.birth.year > 35:  # CPNS applicants are at most 35
                emp.birth = emp.birth.replace(
                    year=start.year - rng.randint(22, 35), day=min(emp.birth.day, 28)
                )
        if (emp.aktif_mulai.year, emp.aktif_mulai.month) < (emp.birth.year + 18, emp.birth.month):
            emp.aktif_mulai = dt.date(emp.birth.year + 19, 1, 1)
    for i in order[n_new : n_new + n_gone]:
        emp = employees[i]
        emp.aktif_sampai = _random_date(rng, start, end)
    if n >= 20:
        gone_before = employees[order[n_new + n_gone]]
        gone_before.aktif_sampai = start - dt.timedelta(days=1 + rng.randrange(60))
        if gone_before.aktif_sampai < gone_before.aktif_mulai:
            gone_before.aktif_sampai = None


def _unique_number(
    rng: random.Random,
    profile: catalog.RegencyProfile,
    emp: Employee,
    used: set[str],
) -> str:
    while True:
        if emp.jenis == "HONORER":
            number = make_nik(profile.nik_region, emp.birth, emp.gender, rng.randrange(1, 10_000))
        else:
            tmt = emp.aktif_mulai
            number = make_nip(emp.birth, tmt.year, tmt.month, emp.gender, rng.randrange(1, 1000))
        if number not in used:
            problem = validate_nip(number, emp.jenis)
            if problem:  # a generator bug, never the user's
                raise AssertionError(problem)
            used.add(number)
            return number


def assign_profiles_and_pins(
    rng: random.Random, opds: list[Opd], devices: list[Device], emps: list[Employee], start: dt.date
) -> None:
    order = list(range(len(emps)))
    rng.shuffle(order)
    # The guaranteed one-of-each-profile goes to people active over the whole period, so that e.g.
    # the "vanished" one really fills a month with TK days (the 100% cap).
    order.sort(key=lambda i: not (emps[i].aktif_mulai <= start and emps[i].aktif_sampai is None))
    for rank, i in enumerate(order):
        emps[i].profile = (
            PROFILES[rank] if rank < len(PROFILES) else rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
        )
    for emp in emps:
        emp.pin_any = str(emp.idx + 1)
    if len(devices) >= 2 and len(emps) >= 10:
        _special_pins(rng, opds, emps, order)
    for emp in emps:
        emp.home_devices = [d for d in opds[emp.opd_idx].devices if emp.pin_for(d) is not None]
        home = set(opds[emp.opd_idx].devices)
        others = [d for d in range(len(devices)) if d not in home]
        if emp.profile == "roamer" and others and emp.pin_any is not None:
            emp.roam_devices = sorted(rng.sample(others, min(3, len(others))))


def _special_pins(rng: random.Random, opds: list[Opd], emps: list[Employee], order: list[int]) -> None:
    """Device-specific pins: an old enrolment number that collides with someone else's any-device
    pin on that one machine (specific wins), a fresh extra number, and staff enrolled only at home."""
    regular = [i for i in order if emps[i].profile in ("disciplined", "late", "early_leaver")]
    n_each = max(1, len(emps) // 100)
    picks = regular[: 3 * n_each]
    # A machine's device-specific pins are unique (pins.csv's key is (device_pin, device_sn)): two
    # old enrolment numbers on one machine never reuse the same pin.
    taken: dict[int, set[str]] = {}
    for k, i in enumerate(picks):
        emp = emps[i]
        home = opds[emp.opd_idx].devices[0]
        used = taken.setdefault(home, set())
        kind = k % 3
        if kind == 0:
            # Reuse the any-device pin of someone from another OPD who never comes to this machine.
            owners = [e for e in emps if e.opd_idx != emp.opd_idx and e.profile != "roamer" and e.pin_any]
            if not owners:
                continue
            pin: str = rng.choice(owners).pin_any  # type: ignore[assignment]
            if pin in used:  # drawn again only on a clash, so clash-free regencies stay byte-identical
                free = [e.pin_any for e in owners if e.pin_any not in used]
                if not free:
                    continue
                pin = rng.choice(free)  # type: ignore[assignment]
            emp.pin_specific[home] = pin
        elif kind == 1:
            emp.pin_specific[home] = str(SPECIFIC_PIN_BASE + k)
        else:
            emp.pin_specific[home] = str(SPECIFIC_ONLY_PIN_BASE + k)
            emp.pin_any = None
        used.add(emp.pin_specific[home])


_LEAVE_RATES = (("SAKIT", 0.08, 1, 3), ("IZIN", 0.04, 1, 1), ("DL", 0.06, 1, 4))
_SURAT = {
    "CUTI": "851/{n:04d}/{opd}/{y}",
    "SAKIT": "445/{n:04d}/SKS/{opd}/{y}",
    "IZIN": "800/{n:04d}/{opd}/{y}",
    "DL": "094/{n:04d}/SPT/{opd}/{y}",
    "TB": "893/{n:04d}/BKPSDM/{y}",
}


def build_leaves(
    rng: random.Random, opds: list[Opd], emps: list[Employee], start: dt.date, end: dt.date
) -> list[Leave]:
    lo, hi = start - dt.timedelta(days=14), end + dt.timedelta(days=7)
    span = (hi - lo).days + 1
    leaves: list[Leave] = []
    counter = 0
    for emp in emps:
        episodes: list[tuple[str, dt.date, dt.date]] = []
        wishes: list[tuple[str, int, int]] = []
        if emp.profile == "on_leave":
            if rng.random() < 0.15:
                wishes.append(("TB", 60, 365))
            else:
                wishes.append(("CUTI", 3, 14))
        if emp.profile != "vanished":
            for _block in range(max(1, span // 30)):
                for jenis, rate, dmin, dmax in _LEAVE_RATES:
                    if rng.random() < rate * (0.4 if emp.profile == "absent" else 1):
                        wishes.append((jenis, dmin, dmax))
        for jenis, dmin, dmax in wishes:
            mulai = lo + dt.timedelta(days=rng.randrange(span))
            sampai = mulai + dt.timedelta(days=rng.randint(dmin, dmax) - 1)
            # One leave at a time: overlapping records of different types would make the day ambiguous.
            if any(not (sampai < a or b < mulai) for _, a, b in episodes):
                continue
            episodes.append((jenis, mulai, sampai))
        for jenis, mulai, sampai in sorted(episodes, key=lambda e: e[1]):
            counter += 1
            nomor = _SURAT[jenis].format(n=counter, opd=opds[emp.opd_idx].code, y=mulai.year)
            leaves.append(Leave(emp.idx, jenis, mulai, sampai, nomor))
    return leaves


def build_regency(
    rng: random.Random,
    regency: str,
    n_employees: int,
    n_devices: int,
    start: dt.date,
    end: dt.date,
    host: str,
    base_port: int,
) -> Regency:
    profile = catalog.REGENCIES[regency]
    opds, devices = build_opds_and_devices(rng, profile, n_devices, host, base_port)
    emps = build_employees(rng, profile, opds, n_employees, start, end)
    assign_profiles_and_pins(rng, opds, devices, emps, start)
    leaves = build_leaves(rng, opds, emps, start, end)
    if regency == "tpp":
        # after every other draw, so oku/hsu stay byte-identical
        leaves = _long_sick_letters(random.Random(rng.random()), opds, emps, leaves, start, end)
    return Regency(profile, opds, devices, emps, leaves)


def _long_sick_letters(
    rng: random.Random,
    opds: list[Opd],
    emps: list[Employee],
    leaves: list[Leave],
    start: dt.date,
    end: dt.date,
) -> list[Leave]:
    """The tpp example's rule by duration (SAKIT from the 15th consecutive day) needs long sick
    leave: a few employees get a sick letter renewed by a second one the day after it ends (one run,
    day numbers continuing), placed where they have no other letter."""
    taken: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for lv in leaves:
        taken.setdefault(lv.emp_idx, []).append((lv.mulai, lv.sampai))
    extra: list[Leave] = []
    candidates = [
        e for e in emps
        if e.profile in ("disciplined", "late") and e.aktif_sampai is None
        and e.aktif_mulai <= start - dt.timedelta(days=30)
    ]  # fmt: skip
    span = max(1, (end - start).days - 10)
    for k, emp in enumerate(candidates[: max(2, len(emps) // 60)]):
        mulai = start + dt.timedelta(days=rng.randrange(span)) - dt.timedelta(days=5)
        first_end = mulai + dt.timedelta(days=rng.randint(7, 12))
        sampai = first_end + dt.timedelta(days=rng.randint(6, 12))
        if any(not (sampai < a or b < mulai) for a, b in taken.get(emp.idx, [])):
            continue
        code = opds[emp.opd_idx].code
        extra.append(
            Leave(emp.idx, "SAKIT", mulai, first_end, f"445/{9000 + 2 * k:04d}/SKS/{code}/{mulai.year}")
        )
        extra.append(
            Leave(emp.idx, "SAKIT", first_end + dt.timedelta(days=1), sampai,
                  f"445/{9001 + 2 * k:04d}/SKS/{code}/{mulai.year}")
        )  # fmt: skip
    return sorted(leaves + extra, key=lambda lv: (lv.emp_idx, lv.mulai))


# Issue 14: shift workers. Whom a regency puts on rosters first: the inpatient wards of the
# Puskesmas (and the RSUD, under the Dinas Kesehatan), then the guards, drivers and contract health
# staff among the honorer, then anyone (a small regency may have few Puskesmas staff).
_SHIFT_JABATAN = ("Petugas Keamanan", "Pengemudi", "Tenaga Kesehatan Kontrak")
# The rotation of a ward: two mornings, two afternoons, two nights, two days off (pola 2-2-2-2); a
# smaller unit's four-day P-S-M-L.
_ROTATIONS = (("PAGI", "PAGI", "SIANG", "SIANG", "MALAM", "MALAM", "L", "L"), ("PAGI", "SIANG", "MALAM", "L"))


def _shift_priority(opds: list[Opd], emp: Employee) -> int:
    opd = opds[emp.opd_idx]
    if opd.jenis == "PUSKESMAS":
        return 0
    if opd.nama == "Dinas Kesehatan" or emp.jabatan in _SHIFT_JABATAN:
        return 1
    return 2


def plan_rosters(
    rng: random.Random,
    opds: list[Opd],
    emps: list[Employee],
    window: list[dt.date],
    share: float,
    is_workday: Callable[[Employee, dt.date], bool],
    exclude: frozenset[int] = frozenset(),
) -> dict[int, dict[dt.date, str]]:
    """roster.csv: employee idx -> {tanggal: shift_code} for `share` of the employees (heads of
    office keep the regular day). Most rotate PAGI/SIANG/MALAM with days off (L) through weekends and
    holidays; about one in five keeps the regular week and has weekend and holiday duty (piket), a
    night followed by a rostered day off when the next day is a workday. Only days the employee is
    active (the loader refuses others); a roster's rows are in the window. `exclude`: employees kept
    on the regular day (those with a boundary scenario or a correction: their punches are planned on
    the calendar date)."""
    wanted = round(share * len(emps))
    candidates = [e for e in emps if not e.is_head and e.idx not in exclude]
    rng.shuffle(candidates)
    candidates.sort(key=lambda e: _shift_priority(opds, e))
    rosters: dict[int, dict[dt.date, str]] = {}
    for emp in candidates[:wanted]:
        days = [d for d in window if emp.active_on(d)]
        if not days:
            continue
        roster: dict[dt.date, str] = {}
        if rng.random() < 0.8:
            rotation = _ROTATIONS[0] if rng.random() < 0.75 else _ROTATIONS[1]
            phase = rng.randrange(len(rotation))
            for d in days:
                roster[d] = rotation[(phase + (d - window[0]).days) % len(rotation)]
        else:
            for d in days:
                after_night = roster.get(d - dt.timedelta(days=1)) == "MALAM"  # rest after a night
                if is_workday(emp, d) or d in roster or after_night or rng.random() >= 0.4:
                    continue
                code = rng.choice(("PAGI", "SIANG", "MALAM"))
                roster[d] = code
                after = d + dt.timedelta(days=1)
                if (
                    code == "MALAM"
                    and emp.active_on(after)
                    and after <= window[-1]
                    and is_workday(emp, after)
                ):
                    roster[after] = "L"  # lepas dinas after a night before a workday
        if roster:
            rosters[emp.idx] = roster
    return rosters
