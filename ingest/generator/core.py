"""`generate()`: write a whole synthetic regency and the exact truth of its attendance.

The regency is written day by day (bounded memory for a year of a big regency). For each day the
punches are first written to the attlog files, then the truth of that day is computed from those
written records only, through the pins written to pins.csv (device-specific pin first, then
any-device pin) and the leave rows written to leave.csv — never from the behaviour profile that
produced them. So the truth is the truth of the data, noise included.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from ingest.generator import catalog
from ingest.generator.punches import (
    Scenario,
    boundary_scenarios,
    plan_day,
    plan_off_day,
    plan_rostered_day_off,
    plan_shift,
)
from ingest.generator.regency import UNKNOWN_PIN_BASE, Regency, build_regency, plan_rosters
from ingest.generator.rules import (
    DAY_OFF_SHIFT,
    REGULAR_SHIFT,
    CandidateDay,
    MonthTotals,
    Policy,
    Rules,
    day_for_punch,
    evaluate_day,
    load_rules,
    moment,
    month_amounts,
    regular_day,
    sanction_effects_enabled,
    shift_day,
)
from warehouse.errors import UserError
from warehouse.outputs import check_output_dir
from warehouse.seeds import read_seed
from warehouse.settings import SEEDS_DIR

DEFAULT_BASE_PORT = 4370  # ZKTeco's own port; device i listens on base_port + i
MAX_EMPLOYEES = 40_000  # any-device pins are 1..N and must stay below the device-specific ranges
TRUTH_HEADER = (
    "nip,work_date,status,tl_tier,psw_tier,late_minutes,early_minutes,deduction_pct,first_in,last_out\n"
)
MONTHLY_HEADER = (
    "nip,month,workdays,days_hadir,days_tk,days_leave,days_menunggu,total_pct_uncapped,total_pct,"
    "base_amount,deduction_amount,net_amount,discipline_amount,discipline_deduction,performance_amount,"
    "sanction_deduction,performance_score,is_complete\n"
)
KINERJA_HEADER = ["nip", "bulan", "nilai"]
ROSTER_HEADER = ["nip", "tanggal", "shift_code"]
_DAY = 86_400
# One machine loses its clock in a power cut at 06:00 on a mid-period workday (battery reset: it
# restarts at 2000-01-01 00:00:00) until a technician sets it at 10:00.
CLOCK_RESET_AT, CLOCK_FIXED_AT = 6 * 3600, 10 * 3600
CLOCK_RESET_DATE = "2000-01-01"
_TIMES = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_NOON = 12 * 3600


EXPORTED_AT_TIME = dt.time(7, 0)


def _write_csv(path: Path, header: list[str], rows: Iterable[list[object]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            n += 1
    return n


def write_reference(out: Path, reg: Regency) -> dict[str, int]:
    opds, devices, emps = reg.opds, reg.devices, reg.employees
    counts = {
        "opd": _write_csv(
            out / "opd.csv", ["opd_code", "nama_opd", "jenis_opd"], ([o.code, o.nama, o.jenis] for o in opds)
        ),
        "devices": _write_csv(
            out / "devices.csv",
            ["device_sn", "nama", "opd_code", "host", "port", "protocol", "timezone"],
            (
                # A push device calls the server: no address to pull it at.
                [
                    d.sn,
                    d.nama,
                    opds[d.opd_idx].code,
                    "" if d.protocol == "push" else d.host,
                    "" if d.protocol == "push" else d.port,
                    d.protocol,
                    d.timezone,
                ]
                for d in devices
            ),
        ),
        "employees": _write_csv(
            out / "employees.csv",
            [
                "nip",
                "nama",
                "jenis_pegawai",
                "golongan",
                "jabatan",
                "kelas_jabatan",
                "opd_code",
                "tunjangan_pokok",
                "aktif_mulai",
                "aktif_sampai",
            ],  # fmt: skip
            (
                [
                    e.nip,
                    e.nama,
                    e.jenis,
                    e.golongan,
                    e.jabatan,
                    e.kelas,
                    opds[e.opd_idx].code,
                    e.base,
                    e.aktif_mulai.isoformat(),
                    e.aktif_sampai.isoformat() if e.aktif_sampai else None,
                ]  # fmt: skip
                for e in emps
            ),
        ),
    }
    pin_rows: list[list[object]] = []
    for e in emps:
        if e.pin_any is not None:
            pin_rows.append([e.nip, e.pin_any, None])
        for dev_idx, pin in sorted(e.pin_specific.items()):
            pin_rows.append([e.nip, pin, devices[dev_idx].sn])
    counts["pins"] = _write_csv(out / "pins.csv", ["nip", "device_pin", "device_sn"], pin_rows)
    counts["leave"] = _write_csv(
        out / "leave.csv",
        ["nip", "jenis", "mulai", "sampai", "nomor_surat"],
        (
            [emps[lv.emp_idx].nip, lv.jenis, lv.mulai.isoformat(), lv.sampai.isoformat(), lv.nomor_surat]
            for lv in reg.leaves
        ),
    )
    return counts


def _kinerja_rows(
    rng: random.Random, reg: Regency, rules: Rules, window: list[dt.date]
) -> list[list[object]]:
    """Issue 20: the month's e-kinerja score (0–100, two decimals) of each employee whose policy pays
    a productivity part by it; about one in twenty-five has none yet (the very first always), so the
    truth shows that part unpaid and the month incomplete."""
    months = sorted({d.replace(day=1) for d in window})
    rows: list[list[object]] = []
    first = True
    for emp in reg.employees:
        if not rules.policy_for(emp.jenis).needs_score:
            continue
        for month in months:
            missing = rng.random() < 0.04 or first
            first = False
            score = Decimal(rng.randint(5000, 10000)) / 100
            if not missing:
                rows.append([emp.nip, f"{month:%Y-%m}", f"{score:.2f}"])
    return rows


def _window(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _pick_scenarios(
    rng: random.Random,
    reg: Regency,
    rules: Rules,
    workdays: list[dt.date],
    leave_days: set[tuple[int, dt.date]],
    reset: tuple[int, dt.date] | None,
) -> dict[tuple[int, dt.date], Scenario]:
    """Place each boundary scenario on a distinct (employee, workday) where it surely shows."""
    emps = reg.employees
    pool = [e for e in emps if e.profile == "disciplined" and e.home_devices] or [
        e for e in emps if e.home_devices
    ]
    on_leave_pool = sorted(
        (i, d) for i, d in leave_days if rules.is_workday(d) and emps[i].home_devices and emps[i].active_on(d)
    )
    placed: dict[tuple[int, dt.date], Scenario] = {}
    if not pool or not workdays:
        return placed
    for sc in boundary_scenarios():
        for _ in range(200):
            if sc.on_leave:
                if not on_leave_pool:
                    break
                i, d = on_leave_pool[rng.randrange(len(on_leave_pool))]
                emp = emps[i]
            else:
                emp, d = pool[rng.randrange(len(pool))], workdays[rng.randrange(len(workdays))]
                if (emp.idx, d) in leave_days:
                    continue
            if not emp.active_on(d) or (emp.idx, d) in placed:
                continue
            if not sc.when(d, rules.period(d) == "ramadan"):
                continue
            if reset is not None and d == reset[1] and emp.home_devices[0] == reset[0]:
                continue
            placed[(emp.idx, d)] = sc
            break
    return placed


KOREKSI_HEADER = [
    "nip", "tanggal", "jenis", "jam", "device_sn", "sampai", "alasan", "nomor_surat",
    "diajukan_oleh", "diajukan_pada", "disetujui_oleh", "disetujui_pada", "status",
]  # fmt: skip
# (jenis, weight, alasan): forgotten punches are the bulk of a real month's moderasi
_KOREKSI_KINDS = [
    ("LUPA_PULANG", 4, "lupa absen pulang"),
    ("LUPA_MASUK", 3, "lupa absen masuk"),
    ("IZIN_TERLAMBAT", 2, "izin datang terlambat: mengantar keluarga berobat"),
    ("IZIN_PULANG_CEPAT", 2, "izin pulang cepat: keperluan keluarga"),
    ("DL_SEBAGIAN", 1, "dinas luar sebagian hari: rapat di kantor bupati"),
    ("WFH", 1, "tugas kedinasan dari rumah"),
    ("WFA", 1, "tugas kedinasan dari lokasi lain"),
]
_APPROVERS = ("Kepala BKPSDM", "Sekretaris BKPSDM", "Kabid Disiplin BKPSDM")


def _plan_corrections(
    rng: random.Random,
    reg: Regency,
    rules: Rules,
    workdays: list[dt.date],
    jenis_opd: list[str],
    avoid: set[tuple[int, dt.date]],
    avoid_devices: set[int],
    reset: tuple[int, dt.date] | None,
) -> tuple[list[list[object]], set[tuple[int, dt.date]]]:
    """Issue 15: the OPDs' corrections for the window (koreksi.csv rows) and the (device, day) a
    broken machine recorded nothing on. About 7 in 10 approved by BKPSDM, 2 refused, 1 still
    pending. Never on a boundary scenario's day (those prove the tiers)."""
    emps, devs = reg.employees, reg.devices
    rows: list[list[object]] = []
    keys: set[tuple] = set()
    wanted = max(12, len(emps) * len(workdays) // 150)
    kinds = [k for k, _, _ in _KOREKSI_KINDS]
    weights = [w for _, w, _ in _KOREKSI_KINDS]
    reasons = {k: a for k, _, a in _KOREKSI_KINDS}
    for attempt in range(wanted * 5):
        if len(rows) >= wanted or not workdays:
            break
        emp = emps[rng.randrange(len(emps))]
        day = workdays[rng.randrange(len(workdays))]
        # every kind at least once, then as often as a real month has them
        jenis = kinds[len(rows)] if len(rows) < len(kinds) else rng.choices(kinds, weights)[0]
        # the first three show every status, even in a small regency
        status = ("DISETUJUI", "DITOLAK", "DIAJUKAN")[len(rows)] if len(rows) < 3 else None
        status = status or rng.choices(["DISETUJUI", "DITOLAK", "DIAJUKAN"], [7, 2, 1])[0]
        if not emp.active_on(day) or (emp.idx, day) in avoid or (day, jenis, emp.nip) in keys:
            continue
        keys.add((day, jenis, emp.nip))
        start, end = rules.schedule(jenis_opd[emp.idx], day)
        jam = ""
        if jenis == "LUPA_MASUK":
            jam = _TIMES[(start - rng.randrange(0, 25 * 60)) // 60 * 60][:5]
        elif jenis == "LUPA_PULANG":
            jam = _TIMES[(end + rng.randrange(0, 30 * 60)) // 60 * 60][:5]
        opd = reg.opds[emp.opd_idx].code
        submitted = day + dt.timedelta(days=rng.randrange(0, 3))
        decided = submitted + dt.timedelta(days=rng.randrange(0, 4))
        rows.append(
            [
                emp.nip,
                day.isoformat(),
                jenis,
                jam,
                "",
                "",
                reasons[jenis],
                f"800/{100 + attempt}/{opd}/{day.year}",
                f"Kasubag Umum {opd}",
                submitted.isoformat(),
                "" if status == "DIAJUKAN" else rng.choice(_APPROVERS),
                "" if status == "DIAJUKAN" else decided.isoformat(),
                status,
            ]  # fmt: skip
        )
    broken: set[tuple[int, dt.date]] = set()
    candidates = [i for i in range(len(devs)) if i not in avoid_devices]
    days = [d for d in workdays[1:-1] if reset is None or d != reset[1]]
    for _ in range(50):
        if not candidates or not days:
            break
        dev, day = candidates[rng.randrange(len(candidates))], days[rng.randrange(len(days))]
        if any(d == day and emps[i].home_devices and emps[i].home_devices[0] == dev for i, d in avoid):
            continue
        broken.add((dev, day))
        opd = reg.opds[devs[dev].opd_idx].code
        reported = day + dt.timedelta(days=1)
        rows.append(
            [
                "",
                day.isoformat(),
                "MESIN_RUSAK",
                "",
                devs[dev].sn,
                "",
                "mesin mati: adaptor rusak, absen manual",
                f"800/99/{opd}/{day.year}",
                f"Kasubag Umum {opd}",
                reported.isoformat(),
                _APPROVERS[0],
                (reported + dt.timedelta(days=1)).isoformat(),
                "DISETUJUI",
            ]  # fmt: skip
        )
        break
    return rows, broken


def _parse_start(start: dt.date | str) -> dt.date:
    if isinstance(start, dt.datetime):
        return start.date()
    if isinstance(start, dt.date):
        return start
    try:
        return dt.date.fromisoformat(start)
    except ValueError:
        raise UserError(f"--start {start!r} bukan tanggal YYYY-MM-DD") from None


def generate(
    out_dir: str | Path,
    *,
    employees: int,
    devices: int,
    start: dt.date | str,
    days: int,
    seed: int,
    regency: str = "oku",
    base_port: int = DEFAULT_BASE_PORT,
    host: str = "127.0.0.1",
    seeds_dir: Path = SEEDS_DIR,
    push_devices: int = 0,
    offline_devices: int = 0,
    offline_from: dt.date | str | None = None,
    corrections: bool = False,
    shift_share: float = 0.0,
) -> dict:
    """Write a synthetic regency to `out_dir`; same arguments, byte-identical files. Returns a summary.

    The first `push_devices` machines push to the ADMS receiver (protocol push, no address in
    devices.csv) instead of being pulled; their logs are written all the same.

    The last `offline_devices` machines went offline on `offline_from` (default: the window's last
    day): their `attlog/` file was copied off them at 00:00 that day and holds only the punches
    before it; the whole log (what a pull once they are back reads) is in `attlog_later/`. Neither
    changes a punch: the same seed writes the same records. The truth is the truth of the folder as
    loaded (`attlog/`): days depending on an offline machine from `offline_from` on are MENUNGGU.

    `corrections` (issue 15): also write koreksi.csv, the OPDs' corrections of the window (approved,
    refused, pending) and one approved MESIN_RUSAK (that machine records nothing that day); the
    truth follows the approved ones. Off, the folder is exactly what it was before.

    `shift_share` (issue 14): that share of the employees work rosters (roster.csv: rotating
    PAGI/SIANG/MALAM with days off, or the regular week with weekend and holiday duty); their punches
    follow the shift (a night's check-out the next morning) and the truth attributes them by window
    (docs/CONTRACTS.md "Rosters and shifts"). Rosters come from their own random streams after
    everything else is drawn: the other employees' punches are those of share 0, and 0 writes exactly
    the folder of before (no roster.csv, no shift_code column in truth.csv)."""
    start = _parse_start(start)
    if regency not in catalog.REGENCIES:
        raise UserError(
            f"--regency {regency!r} tidak dikenal (pilih: {', '.join(sorted(catalog.REGENCIES))})"
        )
    if not 1 <= employees <= MAX_EMPLOYEES:
        raise UserError(f"--employees harus 1–{MAX_EMPLOYEES}, bukan {employees}")
    if devices < 1:
        raise UserError(f"--devices harus paling sedikit 1, bukan {devices}")
    if days < 1:
        raise UserError(f"--days harus paling sedikit 1, bukan {days}")
    if not 0 <= push_devices <= devices:
        raise UserError(f"--push harus 0–{devices} (jumlah mesin), bukan {push_devices}")
    if not 0 <= shift_share <= 1:
        raise UserError(f"--shift-share harus 0–1 (bagian pegawai berjadwal dinas), bukan {shift_share}")
    if not 0 <= offline_devices <= devices:
        raise UserError(f"--offline harus 0–{devices} (jumlah mesin), bukan {offline_devices}")
    if not 1 <= base_port or base_port + devices - 1 > 65535:
        raise UserError(f"--base-port {base_port}: port mesin harus di dalam 1–65535")
    check_output_dir(out_dir)
    end = start + dt.timedelta(days=days - 1)
    offline_day = end if offline_from is None else _parse_start(offline_from)
    if sanction_effects_enabled(seeds_dir):
        raise UserError(
            "sanction_settings.csv: kebenaran generator tidak memodelkan efek sanksi PP 94/2021; matikan dulu"
        )
    rules = load_rules(seeds_dir, profile=regency)  # --regency is also the regency profile
    reg = build_regency(
        random.Random(f"{seed}:regency"), regency, employees, devices, start, end, host, base_port
    )
    for device in reg.devices[:push_devices]:
        device.protocol = "push"  # after the random draws: the rest of the regency is unchanged

    out = Path(out_dir)
    attlog_dir = out / "attlog"
    later_dir = out / "attlog_later"
    for folder in (attlog_dir, later_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in sorted(folder.glob("*_attlog.dat")):  # a previous run's machines must not linger
            stale.unlink()
    counts = write_reference(out, reg)
    # When each file was copied off its machine (its clock): the morning after the window, so the
    # warehouse holds every log past the last day (issue 13); an offline machine's at 00:00 of the
    # day it went offline.
    exported_at = {
        d.sn: dt.datetime.combine(end + dt.timedelta(days=1), EXPORTED_AT_TIME) for d in reg.devices
    }
    offline = set(range(len(reg.devices) - offline_devices, len(reg.devices)))
    for i in offline:
        exported_at[reg.devices[i].sn] = dt.datetime.combine(offline_day, dt.time(0))

    window = _window(start, end)
    workdays = [d for d in window if rules.is_workday(d)]
    rng = random.Random(f"{seed}:punches")
    emps, devs = reg.employees, reg.devices

    # Generation-side leave lookup (which days people stay home); the truth re-reads the leave rows.
    leave_days: set[tuple[int, dt.date]] = set()
    for lv in reg.leaves:
        d = max(lv.mulai, start)
        while d <= min(lv.sampai, end):
            leave_days.add((lv.emp_idx, d))
            d += dt.timedelta(days=1)
    reset_dev = min(1, len(devs) - 1)
    reset_day = next((d for d in workdays if d >= start + (end - start) / 2), None)
    reset = (reset_dev, reset_day) if reset_day is not None else None
    scenarios = _pick_scenarios(rng, reg, rules, workdays, leave_days, reset)

    jenis_opd = [reg.opds[e.opd_idx].jenis for e in emps]
    broken: set[tuple[int, dt.date]] = set()
    koreksi_path = out / "koreksi.csv"
    if corrections:
        koreksi_rows, broken = _plan_corrections(
            random.Random(f"{seed}:koreksi"), reg, rules, workdays, jenis_opd, set(scenarios), offline, reset
        )
        counts["koreksi"] = _write_csv(koreksi_path, KOREKSI_HEADER, koreksi_rows)
    elif koreksi_path.exists():
        koreksi_path.unlink()  # a previous run's corrections must not linger
    roster_path = out / "roster.csv"
    rosters: dict[int, dict[dt.date, str]] = {}
    if shift_share > 0:
        # scenario and corrected employees keep the regular day: their punches are planned on the date
        nip_idx = {e.nip: e.idx for e in emps}
        corrected = {nip_idx[str(r[0])] for r in koreksi_rows if r[0] in nip_idx} if corrections else set()
        opd_codes = [reg.opds[e.opd_idx].code for e in emps]
        rosters = plan_rosters(
            random.Random(f"{seed}:roster"),
            reg.opds,
            emps,
            window,
            shift_share,
            lambda e, d: rules.is_workday(d, jenis_opd[e.idx], opd_codes[e.idx]),
            frozenset({i for i, _ in scenarios} | corrected),
        )
        counts["roster"] = _write_csv(
            roster_path,
            ROSTER_HEADER,
            (
                [emps[i].nip, d.isoformat(), code]
                for i in sorted(rosters)
                for d, code in sorted(rosters[i].items())
            ),
        )
    elif roster_path.exists():
        roster_path.unlink()  # a previous run's rosters must not linger
    shift_rng = random.Random(f"{seed}:shifts")
    kinerja_path = out / "kinerja.csv"
    if any(rules.policy_for(e.jenis).needs_score for e in emps):
        counts["kinerja"] = _write_csv(
            kinerja_path, KINERJA_HEADER, _kinerja_rows(random.Random(f"{seed}:kinerja"), reg, rules, window)
        )
    elif kinerja_path.exists():
        kinerja_path.unlink()  # a previous run's scores must not linger
    truth = _TruthBuilder(out, reg, rules, start, end, exported_at, seeds_dir)
    files = [(attlog_dir / f"{d.sn}_attlog.dat").open("w", encoding="utf-8", newline="\n") for d in devs]
    later = {
        i: (later_dir / f"{devs[i].sn}_attlog.dat").open("w", encoding="utf-8", newline="\n") for i in offline
    }
    n_punches = 0
    try:

        def write_day(day: dt.date, recs: list[tuple[int, int, str]]) -> list[tuple[str, str, str, int]]:
            """Write one calendar day's records (device idx, seconds of the day, pin) to the files."""
            dstr = day.isoformat()
            written: list[tuple[str, str, str, int]] = []
            for dev, t, pin in sorted(set(recs)):
                if (dev, day) in broken:
                    continue  # the machine was broken that day (MESIN_RUSAK): it recorded nothing
                stamp_date, secs = dstr, t
                if (
                    reset is not None
                    and dev == reset[0]
                    and day == reset[1]
                    and CLOCK_RESET_AT <= t < CLOCK_FIXED_AT
                ):
                    stamp_date, secs = CLOCK_RESET_DATE, t - CLOCK_RESET_AT
                state = 0 if secs < _NOON else 1
                # ZKTeco right-aligns the PIN in a 9-wide field; verify 1 = fingerprint; then
                # state (0 in / 1 out), work code and a reserved column, as the devices write them.
                line = f"{pin:>9}\t{stamp_date} {_TIMES[secs]}\t1\t{state}\t0\t0\n"
                if dev in later:
                    later[dev].write(line)  # the whole log, read once the machine is back
                    if day >= offline_day:
                        continue  # not in the file copied off it before it went offline
                files[dev].write(line)
                written.append((devs[dev].sn, pin, stamp_date, secs))
            return written

        # a shift's punches past midnight (a night's check-out): written on the next calendar day
        carried: list[tuple[int, int, str]] = []
        for day in window:
            is_workday = rules.is_workday(day)
            recs, carried = carried, []  # (device idx, seconds, pin)
            for emp in emps:
                punches: list[tuple[int, int]] = []
                if not emp.active_on(day):
                    # Just before starting or just after leaving, some still press the machine.
                    near = (emp.aktif_mulai > day and (emp.aktif_mulai - day).days <= 3) or (
                        emp.aktif_sampai is not None and 0 < (day - emp.aktif_sampai).days <= 3
                    )
                    if is_workday and near and rng.random() < 0.3:
                        punches = plan_off_day(rng, emp)
                elif is_workday:
                    s, e = rules.schedule(jenis_opd[emp.idx], day)
                    sc = scenarios.get((emp.idx, day))
                    if sc is not None:
                        punches = [(emp.home_devices[0], t) for t in sc.punches(s, e)]
                    else:
                        punches = plan_day(rng, emp, s, e, (emp.idx, day) in leave_days)
                elif rng.random() < (0.04 if jenis_opd[emp.idx] == "PUSKESMAS" else 0.01):
                    punches = plan_off_day(rng, emp)
                code = rosters[emp.idx].get(day) if emp.idx in rosters else None
                if code == DAY_OFF_SHIFT:
                    punches = plan_rostered_day_off(shift_rng, emp)  # the draws above are discarded
                elif code is not None:
                    shift = rules.shift_types[code]
                    punches = plan_shift(
                        shift_rng, emp, shift.start, shift.end, (emp.idx, day) in leave_days, shift.end > _DAY
                    )
                for dev, t in punches:
                    rec = (dev, t % _DAY, emp.pin_for(dev))
                    (recs if t < _DAY else carried).append(rec)  # type: ignore[arg-type]
            for dev in range(len(devs)):  # visitors, removed staff, test enrolments: unknown PINs
                if rng.random() < (0.15 if is_workday else 0.03):
                    recs.append(
                        (dev, 7 * 3600 + rng.randrange(10 * 3600), str(UNKNOWN_PIN_BASE + rng.randrange(500)))
                    )
            written = write_day(day, recs)
            n_punches += len(written)
            truth.add_day(day, written)
        # the last night's check-outs before the files were copied off the machines the next morning
        after_window = [r for r in carried if r[1] < EXPORTED_AT_TIME.hour * 3600]
        if after_window:
            written = write_day(end + dt.timedelta(days=1), after_window)
            n_punches += len(written)
            truth.add_punches(written)
    finally:
        for fh in [*files, *later.values()]:
            fh.close()
    n_truth, n_monthly = truth.finish()

    meta = {
        "regency": regency,
        # the seed regency_profiles profile the truth used (ABSENSI_REGENCY_PROFILE for the warehouse)
        "regency_profile": regency,
        "timezone": reg.profile.timezone,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seed": seed,
        "base_port": base_port,
        "host": host,
        # when each attlog file was copied off its device (its clock; `absensi import-usb --exported-at`)
        "exported_at": {sn: f"{stamp:%Y-%m-%d %H:%M:%S}" for sn, stamp in exported_at.items()},
        "exported_at_later": f"{end + dt.timedelta(days=1)} {EXPORTED_AT_TIME}",
        "offline_devices": [devs[i].sn for i in sorted(offline)],
        "offline_from": offline_day.isoformat() if offline else None,
    }
    (out / "regency.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return {
        **meta,
        "out_dir": str(out),
        "counts": {**counts, "punches": n_punches, "truth": n_truth, "truth_monthly": n_monthly},
        "scenarios": sorted(sc.name for sc in scenarios.values()),
        "paths": {
            "opd": str(out / "opd.csv"),
            "devices": str(out / "devices.csv"),
            "employees": str(out / "employees.csv"),
            "pins": str(out / "pins.csv"),
            "leave": str(out / "leave.csv"),
            **({"koreksi": str(koreksi_path)} if corrections else {}),
            **({"kinerja": str(kinerja_path)} if kinerja_path.is_file() else {}),
            "attlog": [str(attlog_dir / f"{d.sn}_attlog.dat") for d in devs],
            "attlog_later": [str(later_dir / f"{devs[i].sn}_attlog.dat") for i in sorted(offline)],
            "truth": str(out / "truth.csv"),
            "truth_monthly": str(out / "truth_monthly.csv"),
            "regency": str(out / "regency.json"),
        },
    }


def _stamp(day: dt.date, secs: int | None) -> str:
    """A truth check-in/out: local date and time (a night shift's check-out is the next day's)."""
    if secs is None:
        return ""
    return f"{day + dt.timedelta(days=secs // _DAY)} {_TIMES[secs % _DAY]}"


class _TruthBuilder:
    """The truth, from written records and the written reference rows only."""

    def __init__(
        self,
        out: Path,
        reg: Regency,
        rules: Rules,
        start: dt.date,
        end: dt.date,
        exported_at: dict[str, dt.datetime],
        seeds_dir: Path,
    ):
        self.rules, self.start, self.end = rules, start, end
        # Completeness (docs/CONTRACTS.md): a day is final once every device it depends on was read
        # (here: its file exported) at or after the day's end = schedule end + the seed's margin.
        self.exported_at = exported_at
        self.day_end_margin = int(read_seed("coverage_settings", seeds_dir)[0]["day_end_margin_minutes"]) * 60
        with (out / "devices.csv").open(newline="", encoding="utf-8") as fh:
            devices_rows = list(csv.DictReader(fh))
        with (out / "employees.csv").open(newline="", encoding="utf-8") as fh:
            self.employees = sorted(csv.DictReader(fh), key=lambda r: r["nip"])
        opd_jenis = {o.code: o.jenis for o in reg.opds}
        self.jenis_opd = {r["nip"]: opd_jenis[r["opd_code"]] for r in self.employees}
        self.calendars = {(opd_jenis[r["opd_code"]], r["opd_code"]) for r in self.employees}
        self.policy = {r["nip"]: rules.policy_for(r["jenis_pegawai"]) for r in self.employees}
        self.active = {
            r["nip"]: (
                dt.date.fromisoformat(r["aktif_mulai"]),
                dt.date.fromisoformat(r["aktif_sampai"]) if r["aktif_sampai"] else dt.date.max,
            )
            for r in self.employees
        }
        self.specific: dict[tuple[str, str], str] = {}
        self.any_device: dict[str, str] = {}
        # the devices each employee's days depend on: the OPD's, and those a PIN is registered on
        self.depends: dict[str, set[str]] = {r["nip"]: set() for r in self.employees}
        opd_of = self.opd_of = {r["nip"]: r["opd_code"] for r in self.employees}
        for device_row in devices_rows:
            for nip, opd in opd_of.items():
                if opd == device_row["opd_code"]:
                    self.depends[nip].add(device_row["device_sn"])
        with (out / "pins.csv").open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["device_sn"]:
                    self.specific[(r["device_sn"], r["device_pin"])] = r["nip"]
                    if r["nip"] in self.depends:
                        self.depends[r["nip"]].add(r["device_sn"])
                else:
                    self.any_device[r["device_pin"]] = r["nip"]
        self.leave: dict[tuple[str, dt.date], str] = {}
        with (out / "leave.csv").open(newline="", encoding="utf-8") as fh:
            # Overlapping letters (docs/CONTRACTS.md): the later start wins, then the later row; a
            # stable sort by start keeps file order among equal starts.
            letters = sorted(csv.DictReader(fh), key=lambda row: row["mulai"])
            covered: dict[tuple[str, dt.date], str] = {}  # every day of every letter, window or not
            for r in letters:
                d, last = dt.date.fromisoformat(r["mulai"]), dt.date.fromisoformat(r["sampai"])
                while d <= last:
                    covered[(r["nip"], d)] = r["jenis"]
                    if start <= d <= end:
                        self.leave[(r["nip"], d)] = r["jenis"]
                    d += dt.timedelta(days=1)
        # Issue 20, rules by duration: a leave day's number in its run = 1 + the run's day before it,
        # when the calendar day before is covered by a letter of the same type
        self.leave_day_no: dict[tuple[str, dt.date], int] = {}
        for nip, d in sorted(covered, key=lambda k: (k[0], k[1])):
            before = (nip, d - dt.timedelta(days=1))
            same = covered.get(before) == covered[(nip, d)]
            self.leave_day_no[(nip, d)] = self.leave_day_no[before] + 1 if same else 1
        # Issue 20: the e-kinerja scores written (kinerja.csv), by (nip, month)
        self.scores: dict[tuple[str, dt.date], Decimal] = {}
        if (out / "kinerja.csv").is_file():
            with (out / "kinerja.csv").open(newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    self.scores[(r["nip"], dt.date.fromisoformat(r["bulan"] + "-01"))] = Decimal(r["nilai"])
        # approved corrections (issue 15): added punches, excused sides, remote days, broken devices
        self.added: dict[tuple[str, dt.date], list[int]] = {}
        self.excused: dict[tuple[str, dt.date], tuple[bool, bool]] = {}
        self.remote: dict[tuple[str, dt.date], str] = {}
        self.broken: set[tuple[str, dt.date]] = set()
        if (out / "koreksi.csv").is_file():
            with (out / "koreksi.csv").open(newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    if r["status"] != "DISETUJUI":
                        continue
                    d, jenis = dt.date.fromisoformat(r["tanggal"]), r["jenis"]
                    key = (r["nip"], d)
                    if jenis in ("LUPA_MASUK", "LUPA_PULANG"):
                        h, m = (int(x) for x in r["jam"].split(":")[:2])
                        self.added.setdefault(key, []).append(h * 3600 + m * 60)
                    elif jenis in ("IZIN_TERLAMBAT", "IZIN_PULANG_CEPAT", "DL_SEBAGIAN"):
                        tl, psw = self.excused.get(key, (False, False))
                        self.excused[key] = (
                            tl or jenis != "IZIN_PULANG_CEPAT",
                            psw or jenis != "IZIN_TERLAMBAT",
                        )
                    elif jenis in ("WFH", "WFA"):
                        self.remote[key] = max(jenis, self.remote.get(key, ""))  # WFA wins, as in dbt
                    else:
                        last = dt.date.fromisoformat(r["sampai"]) if r["sampai"] else d
                        while d <= last:
                            self.broken.add((r["device_sn"], d))
                            d += dt.timedelta(days=1)
        # Rosters (issue 14, roster.csv): an employee with a rostered shift has every punch attributed
        # by window (day_for_punch), so their days are evaluated once every punch is known (finish);
        # a rostered day off (L) is no workday.
        self.roster: dict[str, dict[dt.date, str]] = {}
        if (out / "roster.csv").is_file():
            with (out / "roster.csv").open(newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    self.roster.setdefault(r["nip"], {})[dt.date.fromisoformat(r["tanggal"])] = r[
                        "shift_code"
                    ]
        self.shift_nips = {nip for nip, days in self.roster.items() if set(days.values()) - {DAY_OFF_SHIFT}}
        self.shift_punches: dict[str, list[tuple[int, str]]] = {nip: [] for nip in self.shift_nips}
        self.with_shift = bool(self.roster)  # truth.csv gains shift_code only with rosters
        self.months: dict[tuple[dt.date, str], MonthTotals] = {}
        self.base = {r["nip"]: int(r["tunjangan_pokok"]) for r in self.employees}
        self.out = out
        self.fh = (out / "truth.csv").open("w", encoding="utf-8", newline="\n")
        self.fh.write(TRUTH_HEADER.replace("\n", ",shift_code\n") if self.with_shift else TRUTH_HEADER)
        self.rows = 0

    def _nip(self, sn: str, pin: str) -> str | None:
        return self.specific.get((sn, pin)) or self.any_device.get(pin)

    def add_punches(self, written: list[tuple[str, str, str, int]]) -> None:
        """Records of a rostered employee (any date): kept for the attribution by window."""
        first_day, last_day = self.start - dt.timedelta(days=1), self.end + dt.timedelta(days=1)
        for sn, pin, stamp_date, secs in written:
            nip = self._nip(sn, pin)
            if nip not in self.shift_nips:
                continue
            d = dt.date.fromisoformat(stamp_date)
            if first_day <= d <= last_day:  # the reset clock's 2000-01-01 is an impossible clock
                self.shift_punches[nip].append((moment(d, secs), sn))

    def add_day(self, day: dt.date, written: list[tuple[str, str, str, int]]) -> None:
        dstr = day.isoformat()
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        punched: dict[str, set[str]] = {}
        if self.shift_nips:
            self.add_punches(written)
        for sn, pin, stamp_date, secs in written:
            if stamp_date != dstr:
                # Only the reset clock writes another date, and it lies far outside the window.
                assert not self.start.isoformat() <= stamp_date <= self.end.isoformat(), stamp_date
                continue
            nip = self._nip(sn, pin)
            if nip is None or nip in self.shift_nips:
                continue
            punched.setdefault(nip, set()).add(sn)
            if nip not in first or secs < first[nip]:
                first[nip] = secs
            if nip not in last or secs > last[nip]:
                last[nip] = secs
        if not any(self.rules.is_workday(day, jenis, opd) for jenis, opd in self.calendars):
            return
        lines = []
        for r in self.employees:
            nip = r["nip"]
            lo, hi = self.active[nip]
            if nip in self.shift_nips or not lo <= day <= hi:
                continue
            if not self.rules.is_workday(day, self.jenis_opd[nip], r["opd_code"]):
                continue
            if nip in self.roster and self.roster[nip].get(day) == DAY_OFF_SHIFT:
                continue  # a rostered day off
            s, e = self.rules.schedule(self.jenis_opd[nip], day, r["opd_code"])
            lines.append(self._day_line(nip, day, REGULAR_SHIFT, s, e, e + self.day_end_margin,
                                        first.get(nip), last.get(nip), punched.get(nip, set())))  # fmt: skip
        self.fh.write("".join(lines))
        self.rows += len(lines)

    def _day_line(
        self,
        nip: str,
        day: dt.date,
        shift_code: str,
        s: int,
        e: int,
        day_end_secs: int,
        lo_punch: int | None,
        hi_punch: int | None,
        punched: set[str],
        policy: Policy | None = None,
    ) -> str:
        """Evaluate one scoped day (times in seconds since its midnight; a shift's may pass 86 400),
        add it to its month, and return its truth.csv line."""
        policy = policy or self.policy[nip]
        day_end = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=day_end_secs)
        waiting = sorted(
            sn
            for sn in self.depends[nip] | punched
            if self.exported_at.get(sn, dt.datetime.min) < day_end and (sn, day) not in self.broken
        )
        for secs in self.added.get((nip, day), ()):
            lo_punch = secs if lo_punch is None else min(lo_punch, secs)
            hi_punch = secs if hi_punch is None else max(hi_punch, secs)
        excuse_tl, excuse_psw = self.excused.get((nip, day), (False, False))
        res = evaluate_day(
            lo_punch,
            hi_punch,
            s,
            e,
            policy,
            self.leave.get((nip, day)),
            pending=bool(waiting),
            leave_day_no=self.leave_day_no.get((nip, day), 1),
            excuse_tl=excuse_tl,
            excuse_psw=excuse_psw,
            remote=self.remote.get((nip, day)),
            broken_device=any((sn, day) in self.broken for sn in self.depends[nip]),
        )
        month = day.replace(day=1)
        totals = self.months.get((month, nip))
        if totals is None:
            totals = self.months[(month, nip)] = MonthTotals()
        totals.add(res)
        return (
            f"{nip},{day.isoformat()},{res.status},{res.tl_tier},{res.psw_tier},"
            f"{'' if res.late_minutes is None else res.late_minutes},"
            f"{'' if res.early_minutes is None else res.early_minutes},{self.rules.fmt_pct(res.pct)},"
            f"{_stamp(day, res.first_in)},{_stamp(day, res.last_out)}"
            + (f",{shift_code}\n" if self.with_shift else "\n")
        )

    def _shift_employee_lines(self, nip: str) -> list[str]:
        """The days of an employee with a rostered shift, every punch attributed by window
        (docs/CONTRACTS.md "Rosters and shifts", int_attendance_punch_days): the days that may take a
        punch are their scoped days (rostered shifts; regular workdays without a roster row) and, not
        scoped, a rostered shift next to a scoped day or a regular workday next to a scoped shift."""
        roster = self.roster[nip]
        jenis, opd = self.jenis_opd[nip], self.opd_of[nip]
        lo, hi = self.active[nip]
        days: dict[dt.date, CandidateDay] = {}
        d = self.start
        while d <= self.end:
            code = roster.get(d)
            if code is not None:
                if code != DAY_OFF_SHIFT:
                    days[d] = shift_day(d, self.rules.shift_types[code], scoped=lo <= d <= hi)
            elif self.rules.is_workday(d, jenis, opd):
                s, e = self.rules.schedule(jenis, d, opd)
                days[d] = regular_day(d, s, e, scoped=lo <= d <= hi)
            d += dt.timedelta(days=1)
        one = dt.timedelta(days=1)

        def neighbours(day: dt.date) -> list[CandidateDay]:
            return [c for c in (days.get(day - one), days.get(day + one)) if c is not None and c.scoped]

        candidates = {
            day: c
            for day, c in days.items()
            if c.scoped
            or (c.shift_code != REGULAR_SHIFT and neighbours(day))
            or (c.shift_code == REGULAR_SHIFT and any(n.shift_code != REGULAR_SHIFT for n in neighbours(day)))
        }
        taken: dict[dt.date, list[tuple[int, str]]] = {}
        for punch, sn in self.shift_punches[nip]:
            punch_date = dt.date.fromordinal(punch // _DAY + 1)
            near = [
                candidates[x] for x in (punch_date - one, punch_date, punch_date + one) if x in candidates
            ]
            chosen = day_for_punch(punch, near)
            if chosen is not None and chosen.scoped:
                taken.setdefault(chosen.day, []).append((punch, sn))
        lines = []
        for day, c in sorted(candidates.items()):
            if not c.scoped:
                continue
            base = moment(day)
            got = taken.get(day, [])
            lo_punch = min(p for p, _ in got) - base if got else None
            hi_punch = max(p for p, _ in got) - base if got else None
            s, e = c.start - base, c.end - base
            if c.shift_code == REGULAR_SHIFT:
                day_end, policy = e + self.day_end_margin, None
            else:
                shift = self.rules.shift_types[c.shift_code]
                day_end = max(c.close - base, e + self.day_end_margin)
                policy = self.rules.policies[shift.policy_id] if shift.policy_id else None
            lines.append(
                self._day_line(
                    nip, day, c.shift_code, s, e, day_end, lo_punch, hi_punch, {sn for _, sn in got}, policy
                )
            )
        return lines

    def finish(self) -> tuple[int, int]:
        for nip in sorted(self.shift_nips):
            lines = self._shift_employee_lines(nip)
            self.fh.write("".join(lines))
            self.rows += len(lines)
        self.fh.close()
        n = 0
        fmt = self.rules.fmt_pct
        with (self.out / "truth_monthly.csv").open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(MONTHLY_HEADER)
            for (month, nip), t in sorted(self.months.items()):
                base = self.base[nip]
                policy = self.policy[nip]
                score = self.scores.get((nip, month)) if policy.needs_score else None
                money = month_amounts(t, base, policy, score)
                complete = t.days_menunggu == 0 and (score is not None or not policy.needs_score)
                fh.write(
                    f"{nip},{month.isoformat()},{t.workdays},{t.days_hadir},{t.days_tk},{t.days_leave},{t.days_menunggu},"
                    f"{fmt(t.total_pct_uncapped)},{fmt(money.total_pct)},{base},{money.deduction},{money.net},"
                    f"{money.discipline_amount},{money.discipline_deduction},{money.performance_amount},"
                    f"{money.sanction_deduction},{'' if score is None else f'{score:.2f}'},"
                    f"{'true' if complete else 'false'}\n"
                )
                n += 1
        return self.rows, n
