"""The synthetic regency generator: determinism, file formats, coverage of profiles and rule edges,
and a truth that follows from the files written (re-derived here from the attlogs and pins)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.generator import generate
from ingest.nip import validate_nip
from warehouse.errors import UserError
from warehouse.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt" / "seeds"
HEADERS = {
    "opd.csv": "opd_code,nama_opd,jenis_opd",
    "devices.csv": "device_sn,nama,opd_code,host,port,protocol,timezone",
    "employees.csv": "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai",
    "pins.csv": "nip,device_pin,device_sn",
    "leave.csv": "nip,jenis,mulai,sampai,nomor_surat",
    "truth.csv": "nip,work_date,status,tl_tier,psw_tier,late_minutes,early_minutes,deduction_pct,first_in,last_out",
    "truth_monthly.csv": "nip,month,workdays,days_hadir,days_tk,days_leave,days_menunggu,total_pct_uncapped,total_pct,"
    "base_amount,deduction_amount,net_amount,discipline_amount,discipline_deduction,performance_amount,"
    "sanction_deduction,performance_score,is_complete",
}
ATTLOG_LINE = re.compile(r"^ *(\S+)\t(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\t\d+\t[01]\t0\t0$")
# Mid-Feb to early Apr 2026: holidays and cuti bersama, Ramadan (19 Feb – 19 Mar), Fridays.
MODERATE = dict(employees=400, devices=16, start="2026-02-09", days=60, seed=11)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regency(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regency")
    generate(out, **MODERATE)
    return out


@pytest.fixture(scope="module")
def truth(regency: Path) -> list[dict[str, str]]:
    return read_csv(regency / "truth.csv")


def parse_attlogs(folder: Path) -> list[tuple[str, str, str]]:
    """(device_sn, pin, 'YYYY-MM-DD HH:MM:SS') of every line, checking the line format."""
    out = []
    for path in sorted((folder / "attlog").glob("*_attlog.dat")):
        sn = path.name.removesuffix("_attlog.dat")
        for line in path.read_text(encoding="utf-8").splitlines():
            m = ATTLOG_LINE.match(line)
            assert m, f"{path.name}: {line!r}"
            out.append((sn, m.group(1), m.group(2)))
    return out


def test_same_seed_gives_byte_identical_output_and_another_seed_does_not(tmp_path: Path) -> None:
    args = dict(employees=60, devices=6, start="2026-11-02", days=21, seed=5)
    generate(tmp_path / "a", **args)
    generate(tmp_path / "b", **args)
    a, b = all_bytes(tmp_path / "a"), all_bytes(tmp_path / "b")
    assert a == b and len(a) == 8 + 6  # 8 files + one attlog per device
    generate(tmp_path / "c", **{**args, "seed": 6})
    c = all_bytes(tmp_path / "c")
    assert c["truth.csv"] != a["truth.csv"] and c["employees.csv"] != a["employees.csv"]
    # Rerunning into a used folder leaves no machine of the previous run behind.
    generate(tmp_path / "a", **{**args, "seed": 6})
    assert all_bytes(tmp_path / "a") == c


def test_files_have_the_design_formats(regency: Path) -> None:
    for name, header in HEADERS.items():
        assert (regency / name).read_text(encoding="utf-8").splitlines()[0] == header, name
    meta = json.loads((regency / "regency.json").read_text())
    assert meta["regency"] == "oku" and meta["timezone"] == "Asia/Jakarta" and meta["seed"] == 11
    assert (meta["start"], meta["end"], meta["base_port"]) == ("2026-02-09", "2026-04-09", 4370)

    opds = read_csv(regency / "opd.csv")
    assert {"SETDA", "SETWAN", "DINAS", "KECAMATAN", "KELURAHAN", "PUSKESMAS"} <= {
        o["jenis_opd"] for o in opds
    }
    opd_codes = {o["opd_code"] for o in opds}
    devices = read_csv(regency / "devices.csv")
    assert len(devices) == 16 and {d["opd_code"] for d in devices} == opd_codes  # every OPD has a machine
    assert [int(d["port"]) for d in devices] == list(range(4370, 4386))
    protocols = [d["protocol"] for d in devices]
    assert set(protocols) == {"tcp", "udp"} and protocols.count("tcp") > protocols.count("udp")
    assert all(re.fullmatch(r"[A-Z0-9]{4}20\d{7}", d["device_sn"]) for d in devices)
    assert {d["timezone"] for d in devices} == {"Asia/Jakarta"} and {d["host"] for d in devices} == {
        "127.0.0.1"
    }
    assert sorted(p.name for p in (regency / "attlog").iterdir()) == sorted(
        f"{d['device_sn']}_attlog.dat" for d in devices
    )

    employees = read_csv(regency / "employees.csv")
    assert len(employees) == 400 and len({e["nip"] for e in employees}) == 400
    assert {e["jenis_pegawai"] for e in employees} == {"PNS", "CPNS", "PPPK", "HONORER"}
    for e in employees:
        assert validate_nip(e["nip"], e["jenis_pegawai"]) is None, e
        assert e["opd_code"] in opd_codes and e["nama"].strip()
        assert re.fullmatch(r"[1-9][0-9]*", e["tunjangan_pokok"])
        assert 1_500_000 <= int(e["tunjangan_pokok"]) <= 12_000_000
        mulai = dt.date.fromisoformat(e["aktif_mulai"])
        assert not e["aktif_sampai"] or dt.date.fromisoformat(e["aktif_sampai"]) >= mulai
        if e["jenis_pegawai"] != "HONORER":  # the NIP's TMT is the appointment month
            assert e["nip"][8:14] == f"{mulai:%Y%m}"
    assert len({e["kelas_jabatan"] for e in employees}) >= 8

    pins = read_csv(regency / "pins.csv")
    nips = {e["nip"] for e in employees}
    assert {p["nip"] for p in pins} == nips
    keys = [(p["device_pin"], p["device_sn"]) for p in pins]
    assert len(keys) == len(set(keys))
    specific = [p for p in pins if p["device_sn"]]
    assert 0 < len(specific) < len(pins) // 10
    assert {p["device_sn"] for p in specific} <= {d["device_sn"] for d in devices}

    leave = read_csv(regency / "leave.csv")
    assert {lv["jenis"] for lv in leave} == {"CUTI", "SAKIT", "IZIN", "DL", "TB"}
    assert all(lv["nip"] in nips and lv["sampai"] >= lv["mulai"] and lv["nomor_surat"] for lv in leave)
    assert len({(lv["nip"], lv["mulai"]) for lv in leave}) == len(leave)
    parse_attlogs(regency)  # every line in the USB format


def test_hsu_is_wita_with_its_own_offices(tmp_path: Path) -> None:
    summary = generate(
        tmp_path, employees=30, devices=4, start="2026-11-02", days=5, seed=1, regency="hsu", base_port=15000
    )
    assert summary["timezone"] == "Asia/Makassar"
    devices = read_csv(tmp_path / "devices.csv")
    assert {d["timezone"] for d in devices} == {"Asia/Makassar"} and devices[0]["port"] == "15000"
    assert json.loads((tmp_path / "regency.json").read_text())["regency"] == "hsu"
    honorer = [e for e in read_csv(tmp_path / "employees.csv") if e["jenis_pegawai"] == "HONORER"]
    assert honorer and all(e["nip"].startswith("63") for e in honorer)


def workday_calendar() -> set[dt.date]:
    return {dt.date.fromisoformat(r["holiday_date"]) for r in read_csv(SEEDS / "holidays.csv")}


def test_truth_covers_exactly_the_active_workdays(regency: Path, truth: list[dict[str, str]]) -> None:
    holidays = workday_calendar()
    start, end = dt.date(2026, 2, 9), dt.date(2026, 4, 9)
    window = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    workdays = [d for d in window if d.isoweekday() <= 5 and d not in holidays]
    assert dt.date(2026, 2, 17) not in workdays and dt.date(2026, 3, 23) not in workdays
    expected = set()
    employees = read_csv(regency / "employees.csv")
    for e in employees:
        lo = dt.date.fromisoformat(e["aktif_mulai"])
        hi = dt.date.fromisoformat(e["aktif_sampai"]) if e["aktif_sampai"] else dt.date.max
        expected |= {(e["nip"], d.isoformat()) for d in workdays if lo <= d <= hi}
    got = [(r["nip"], r["work_date"]) for r in truth]
    assert len(got) == len(set(got)) and set(got) == expected
    # The period really has people starting and leaving inside it, and one gone before it.
    assert any(start < dt.date.fromisoformat(e["aktif_mulai"]) <= end for e in employees)
    assert any(
        e["aktif_sampai"] and start <= dt.date.fromisoformat(e["aktif_sampai"]) < end for e in employees
    )
    assert any(e["aktif_sampai"] and dt.date.fromisoformat(e["aktif_sampai"]) < start for e in employees)


@functools.cache
def schedule_of(day: dt.date) -> tuple[int, int]:
    """The seeds' standar schedule, looked up here without the generator's code."""
    ramadan = any(
        dt.date.fromisoformat(r["start_date"]) <= day <= dt.date.fromisoformat(r["end_date"])
        for r in read_csv(SEEDS / "ramadan_periods.csv")
    )
    period = "ramadan" if ramadan else "normal"
    for r in read_csv(SEEDS / "work_schedules.csv"):
        if (r["schedule_id"], r["period"], int(r["iso_weekday"])) == ("standar", period, day.isoweekday()):
            s = dt.time.fromisoformat(r["start_time"])
            e = dt.time.fromisoformat(r["end_time"])
            return s.hour * 3600 + s.minute * 60, e.hour * 3600 + e.minute * 60
    raise AssertionError(day)


def test_truth_follows_from_the_written_punches(regency: Path, truth: list[dict[str, str]]) -> None:
    pins = read_csv(regency / "pins.csv")
    specific = {(p["device_sn"], p["device_pin"]): p["nip"] for p in pins if p["device_sn"]}
    any_device = {p["device_pin"]: p["nip"] for p in pins if not p["device_sn"]}
    stamps: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sn, pin, stamp in parse_attlogs(regency):
        nip = specific.get((sn, pin)) or any_device.get(pin)
        if nip:
            stamps[(nip, stamp[:10])].append(stamp)
    leave = {}
    for lv in read_csv(regency / "leave.csv"):
        d = dt.date.fromisoformat(lv["mulai"])
        while d <= dt.date.fromisoformat(lv["sampai"]):
            leave[(lv["nip"], d.isoformat())] = lv["jenis"]
            d += dt.timedelta(days=1)
    tiers = [(int(r["min_minutes"]), int(r["max_minutes"] or 10**6), int(r["tier"]), Decimal(r["pct"]))
             for r in read_csv(SEEDS / "policy_tiers.csv") if r["policy_id"] == "tukin_standard" and r["side"] == "TL"]  # fmt: skip

    def tier(minutes: int) -> tuple[int, Decimal]:
        return next(((t, p) for lo, hi, t, p in tiers if lo <= minutes <= hi), (0, Decimal(0)))

    def secs(stamp: str) -> int:
        h, m, s = map(int, stamp[11:].split(":"))
        return h * 3600 + m * 60 + s

    for row in truth:
        key = (row["nip"], row["work_date"])
        day_stamps = sorted(stamps.get(key, []))
        first_in, last_out = "", ""
        if day_stamps:
            first, last = day_stamps[0], day_stamps[-1]
            start, end = schedule_of(dt.date.fromisoformat(row["work_date"]))
            if secs(last) - secs(first) >= 3600:
                first_in, last_out = first, last
            elif 2 * secs(first) < start + end:
                first_in = first
            else:
                last_out = first
        assert (row["first_in"], row["last_out"]) == (first_in, last_out), row
        if key in leave:
            assert (row["status"], row["deduction_pct"], row["late_minutes"]) == (leave[key], "0.00", ""), row
        elif not day_stamps:
            assert (row["status"], row["tl_tier"], row["psw_tier"], row["deduction_pct"]) == (
                "TK",
                "0",
                "0",
                "5.00",
            )
        else:
            assert row["status"] == "HADIR"
            start, end = schedule_of(dt.date.fromisoformat(row["work_date"]))
            pct = Decimal(0)
            if first_in:
                late = max(0, secs(first_in) - start) // 60
                assert (int(row["late_minutes"]), int(row["tl_tier"])) == (late, tier(late)[0]), row
                pct += tier(late)[1]
            else:
                assert (row["late_minutes"], row["tl_tier"]) == ("", "4")
                pct += Decimal("1.50")
            if last_out:
                early = max(0, end - secs(last_out)) // 60
                assert (int(row["early_minutes"]), int(row["psw_tier"])) == (early, tier(early)[0]), row
                pct += tier(early)[1]
            else:
                assert (row["early_minutes"], row["psw_tier"]) == ("", "4")
                pct += Decimal("1.50")
            assert Decimal(row["deduction_pct"]) == pct, row


def test_monthly_truth_sums_the_days(regency: Path, truth: list[dict[str, str]]) -> None:
    base = {e["nip"]: int(e["tunjangan_pokok"]) for e in read_csv(regency / "employees.csv")}
    sums: dict[tuple[str, str], list] = {}
    for r in truth:
        s = sums.setdefault((r["nip"], r["work_date"][:8] + "01"), [0, 0, 0, 0, Decimal(0)])
        s[0] += 1
        s[1] += r["status"] == "HADIR"
        s[2] += r["status"] == "TK"
        s[3] += r["status"] not in ("HADIR", "TK")
        s[4] += Decimal(r["deduction_pct"])
    monthly = read_csv(regency / "truth_monthly.csv")
    assert {(m["nip"], m["month"]) for m in monthly} == set(sums)
    for m in monthly:
        workdays, hadir, tk, leave, uncapped = sums[(m["nip"], m["month"])]
        assert (int(m["workdays"]), int(m["days_hadir"]), int(m["days_tk"]), int(m["days_leave"])) == (
            workdays, hadir, tk, leave,
        )  # fmt: skip
        assert Decimal(m["total_pct_uncapped"]) == uncapped
        total = min(Decimal(100), uncapped)
        deduction = int((base[m["nip"]] * total / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert (Decimal(m["total_pct"]), int(m["base_amount"])) == (total, base[m["nip"]])
        assert (int(m["deduction_amount"]), int(m["net_amount"])) == (deduction, base[m["nip"]] - deduction)


def test_every_rule_edge_occurs(regency: Path, truth: list[dict[str, str]]) -> None:
    hadir = [r for r in truth if r["status"] == "HADIR"]
    edges = {0: 0, 1: 1, 30: 1, 31: 2, 60: 2, 61: 3, 90: 3, 91: 4}
    late = {(int(r["late_minutes"]), int(r["tl_tier"])) for r in hadir if r["late_minutes"]}
    early = {(int(r["early_minutes"]), int(r["psw_tier"])) for r in hadir if r["early_minutes"]}
    assert set(edges.items()) <= late and set(edges.items()) <= early
    first_ins = {r["first_in"][11:] for r in hadir}
    assert {"07:30:59", "07:31:00", "08:00:00"} <= first_ins  # 08:00 = Ramadan start
    lone_in = [r for r in hadir if r["first_in"] and not r["last_out"]]
    lone_out = [r for r in hadir if r["last_out"] and not r["first_in"]]
    assert any(r["first_in"].endswith("11:44:59") for r in lone_in)  # one second before the midpoint
    assert any(r["last_out"].endswith("11:45:00") for r in lone_out)  # exactly at it
    assert all(r["psw_tier"] == "4" for r in lone_in) and all(r["tl_tier"] == "4" for r in lone_out)

    def gap(r: dict[str, str]) -> float:
        return (
            dt.datetime.fromisoformat(r["last_out"]) - dt.datetime.fromisoformat(r["first_in"])
        ).total_seconds()

    assert any(r["first_in"] and r["last_out"] and gap(r) == 3600 for r in hadir)  # exactly 60 min: a pair
    fridays = [r for r in hadir if dt.date.fromisoformat(r["work_date"]).isoweekday() == 5]
    assert any(r["last_out"].endswith("16:00:00") and r["early_minutes"] == "30" for r in fridays)
    statuses = {r["status"] for r in truth}
    assert {"HADIR", "TK", "CUTI", "SAKIT", "IZIN", "DL"} <= statuses
    assert any(r["status"] not in ("HADIR", "TK") and (r["first_in"] or r["last_out"]) for r in truth)
    by_month = read_csv(regency / "truth_monthly.csv")
    assert any(Decimal(m["total_pct_uncapped"]) > 80 for m in by_month)  # the vanished one


def test_noise_is_written_but_never_counted(regency: Path, truth: list[dict[str, str]]) -> None:
    pins = read_csv(regency / "pins.csv")
    devices = {d["device_sn"]: d["opd_code"] for d in read_csv(regency / "devices.csv")}
    home = {e["nip"]: e["opd_code"] for e in read_csv(regency / "employees.csv")}
    specific = {(p["device_sn"], p["device_pin"]): p["nip"] for p in pins if p["device_sn"]}
    any_device = {p["device_pin"]: p["nip"] for p in pins if not p["device_sn"]}
    lines = parse_attlogs(regency)
    workdays = {r["work_date"] for r in truth}
    unknown = [x for x in lines if (x[0], x[1]) not in specific and x[1] not in any_device]
    assert len(unknown) >= 10
    assert any(stamp.startswith("2000-01-01") for _, _, stamp in lines)  # battery reset clock
    off_days = {stamp[:10] for _, _, stamp in lines} - workdays - {"2000-01-01"}
    assert any(dt.date.fromisoformat(d).isoweekday() >= 6 for d in off_days)
    assert "2026-02-17" in off_days  # a holiday with punches
    assert not {r["work_date"] for r in truth} & off_days
    # device-specific pin beats the same number registered for every device
    collisions = [k for k in specific if k[1] in any_device]
    assert collisions and any((sn, pin) in collisions for sn, pin, _ in lines)
    # double punches seconds apart, and punches at another OPD's machine
    per_key = defaultdict(list)
    for sn, pin, stamp in lines:
        per_key[(sn, pin, stamp[:10])].append(stamp)
    assert any(
        any(0 < int(b[17:]) - int(a[17:]) < 60 and a[:16] == b[:16] for a, b in zip(v, v[1:], strict=False))
        for v in per_key.values()
    )
    visiting = [
        (sn, pin)
        for sn, pin, _ in lines
        if (nip := specific.get((sn, pin)) or any_device.get(pin)) and home[nip] != devices[sn]
    ]
    assert visiting


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(days=0), "--days"),
        (dict(employees=0), "--employees"),
        (dict(devices=0), "--devices"),
        (dict(regency="xyz"), "--regency"),
        (dict(start="2026-02-30"), "--start"),
        (dict(shift_share=1.5), "--shift-share"),
        (dict(shift_share=-0.1), "--shift-share"),
    ],
)
def test_bad_arguments_are_user_errors(tmp_path: Path, kwargs: dict, fragment: str) -> None:
    args = dict(employees=5, devices=1, start="2026-11-02", days=3, seed=1) | kwargs
    with pytest.raises(UserError, match=fragment):
        generate(tmp_path, **args)


def test_cli_generate(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "gen"
    result = run_cli("generate", "--out", out, "--employees", "20", "--devices", "3", "--start", "2026-11-02",
                     "--days", "7", "--seed", "4", "--regency", "hsu", "--base-port", "24370")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "20 pegawai" in result.stdout and "3 mesin" in result.stdout
    assert json.loads((out / "regency.json").read_text())["base_port"] == 24370
    bad = run_cli("generate", "--out", out, "--employees", "20", "--devices", "3", "--start", "kemarin",
                  "--days", "7", "--seed", "4")  # fmt: skip
    assert bad.exit_code == 2 and "--start" in bad.stderr


def test_generated_folder_loads_into_raw(regency: Path, conn) -> None:
    """`absensi load` takes every reference file and the USB import takes every attlog."""
    from ingest.reference import load_reference_file
    from ingest.usb import import_attlog

    for kind, name in [("opd", "opd.csv"), ("devices", "devices.csv"), ("employees", "employees.csv"),
                       ("pins", "pins.csv"), ("leave", "leave.csv")]:  # fmt: skip
        result = load_reference_file(conn, kind, regency / name)
        assert result.rows == len(read_csv(regency / name)), kind
    lines = parse_attlogs(regency)
    for path in sorted((regency / "attlog").glob("*_attlog.dat")):
        assert import_attlog(conn, path, path.name.removesuffix("_attlog.dat")).status == "ok"
    assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == len(lines)


def test_a_month_of_absence_is_capped_at_100(tmp_path: Path) -> None:
    # October 2025 has 23 workdays: the employee who never comes reaches 115% before the cap.
    generate(tmp_path, employees=30, devices=3, start="2025-10-01", days=31, seed=2)
    capped = [m for m in read_csv(tmp_path / "truth_monthly.csv") if Decimal(m["total_pct_uncapped"]) > 100]
    assert capped and all(m["total_pct"] == "100.00" and m["net_amount"] == "0" for m in capped)
    assert any(m["days_tk"] == m["workdays"] == "23" for m in capped)


def test_truth_follows_the_seeds_it_is_given(tmp_path: Path) -> None:
    """Holidays and percents come from the seed files, so editing a seed changes the truth."""
    import shutil

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    with (seeds / "holidays.csv").open("a", encoding="utf-8") as fh:
        fh.write("2026-11-04,libur_nasional,Hari libur uji,test\n")
    policies = (seeds / "policies.csv").read_text(encoding="utf-8")
    (seeds / "policies.csv").write_text(policies.replace("tukin_standard,Tunjangan kinerja: potongan TL/PSW bertingkat dan TK 5% per hari,5.00", "tukin_standard,x,7.25"), encoding="utf-8")  # fmt: skip
    generate(tmp_path / "out", employees=40, devices=3, start="2026-11-02", days=5, seed=3, seeds_dir=seeds)
    rows = read_csv(tmp_path / "out" / "truth.csv")
    assert rows and "2026-11-04" not in {r["work_date"] for r in rows}
    assert {r["deduction_pct"] for r in rows if r["status"] == "TK"} == {"7.25"}


# Sizes and seeds where the generator once wrote a device-specific pin twice on one machine
# (3000 employees on 2 devices, seeds 3, 6 and 8; 300 on 2, seed 0), and a spread of others.
LOADABLE_CASES = [
    (3000, 2, 6, 1), (3000, 2, 3, 2), (3000, 2, 8, 2), (300, 2, 0, 1), (1000, 3, 11, 2), (200, 5, 3, 2),
]  # fmt: skip


@pytest.mark.parametrize(("employees", "devices", "seed", "days"), LOADABLE_CASES)
def test_every_generated_reference_loads(
    tmp_path: Path, conn, employees: int, devices: int, seed: int, days: int
) -> None:
    """Whatever the size and seed, `absensi load` (the real loader, into a real database) takes
    every reference file the generator writes, every row of it."""
    from ingest.folder import load_generated_regency

    generate(tmp_path, employees=employees, devices=devices, start="2026-03-02", days=days, seed=seed)
    pins = read_csv(tmp_path / "pins.csv")
    assert len({(r["device_pin"], r["device_sn"]) for r in pins}) == len(pins)
    loaded = load_generated_regency(conn, tmp_path, attlogs=False)
    rows = {result.kind: result.rows for result in loaded.references}
    assert rows["pins"] == len(pins)
    assert rows["employees"] == employees
    assert conn.execute("select count(*) from raw.employee_pin").fetchone()[0] == len(pins)


def test_shift_share_writes_rosters_that_load_and_zero_writes_the_folder_of_before(
    tmp_path: Path, conn
) -> None:
    """Issue 14: --shift-share 0.2 writes roster.csv for a fifth of the employees, with nights, days
    off and weekend duty, that the real loader takes whole (no overlapping shifts, only active days);
    the other employees' punches are exactly those of share 0; share 0 again removes roster.csv and
    writes the very folder of before."""
    from ingest.folder import load_generated_regency

    args = dict(employees=200, devices=3, start="2026-10-01", days=31, seed=5)
    plain, shifts = tmp_path / "plain", tmp_path / "shifts"
    generate(plain, **args)
    generate(shifts, **args, shift_share=0.2)
    roster = read_csv(shifts / "roster.csv")
    codes = {r["shift_code"] for r in roster}
    assert codes == {"PAGI", "SIANG", "MALAM", "L"}
    assert len({r["nip"] for r in roster}) == 40
    assert any(
        dt.date.fromisoformat(r["tanggal"]).isoweekday() >= 6 and r["shift_code"] != "L" for r in roster
    )
    truth = read_csv(shifts / "truth.csv")
    assert {r["shift_code"] for r in truth} == {"REG", "PAGI", "SIANG", "MALAM"}
    nights = [r for r in truth if r["shift_code"] == "MALAM" and r["last_out"]]
    assert nights and all(r["last_out"][:10] > r["work_date"] for r in nights)  # out the next morning
    rostered = {r["nip"] for r in roster}
    plain_truth = {(r["nip"], r["work_date"]): r for r in read_csv(plain / "truth.csv")}
    others = [r for r in truth if r["nip"] not in rostered]
    assert others and all(
        {k: v for k, v in r.items() if k != "shift_code"} == plain_truth[(r["nip"], r["work_date"])]
        for r in others
    )
    loaded = load_generated_regency(conn, shifts, attlogs=False)
    assert {result.kind: result.rows for result in loaded.references}["roster"] == len(roster)

    generate(shifts, **args)  # the same folder, share 0 again
    assert not (shifts / "roster.csv").exists()
    for name in ("truth.csv", "truth_monthly.csv", "employees.csv"):
        assert (shifts / name).read_bytes() == (plain / name).read_bytes(), name
