"""A small, hand-checkable regency for the quality-gate tests.

Raw data goes in through the real loaders (reference CSVs, USB attlog files); the marts are
hand-made rows of the DESIGN §5 shapes in a schema of the test's choosing, consistent with the raw
data, so each test can break exactly one thing and see the gate name it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg

from ingest.nip import make_nip
from ingest.reference import load_reference_file
from ingest.usb import import_attlog

# Two weeks of June 2025: Fri 6 June (Idul Adha) and Mon 9 June (cuti bersama) are not workdays.
WINDOW = (dt.date(2025, 6, 2), dt.date(2025, 6, 13))
HOLIDAYS = {dt.date(2025, 6, 6), dt.date(2025, 6, 9)}
MONTH = dt.date(2025, 6, 1)


@dataclass(frozen=True)
class Employee:
    nip: str
    jenis: str
    opd: str
    device: str
    pin: str
    base: int
    start: dt.date
    end: dt.date | None = None
    absent: frozenset[dt.date] = frozenset()  # TK days (no punch at all)


EMPLOYEES = [
    Employee(
        make_nip(dt.date(1980, 1, 2), 2005, 3, 1, 1),
        "PNS",
        "DINKES",
        "DEVA001",
        "101",
        3_000_000,
        dt.date(2010, 1, 1),
    ),
    Employee(
        make_nip(dt.date(1985, 5, 6), 2019, 1, 2, 2),
        "PPPK",
        "DINKES",
        "DEVA001",
        "102",
        2_555_555,
        dt.date(2019, 1, 1),
        absent=frozenset({dt.date(2025, 6, 3)}),
    ),
    # joins mid-window, and leaves: neither may have rows outside their active days
    Employee(
        make_nip(dt.date(1990, 7, 8), 2025, 6, 1, 3),
        "CPNS",
        "KEC01",
        "DEVB002",
        "201",
        2_000_000,
        dt.date(2025, 6, 10),
    ),
    Employee(
        make_nip(dt.date(1970, 9, 10), 1995, 4, 2, 4),
        "PNS",
        "KEC01",
        "DEVB002",
        "202",
        4_100_000,
        dt.date(2000, 1, 1),
        end=dt.date(2025, 6, 4),
    ),
]
DEVICES = {"DEVA001": "DINKES", "DEVB002": "KEC01"}


def workdays(emp: Employee) -> list[dt.date]:
    days = []
    day = WINDOW[0]
    while day <= WINDOW[1]:
        active = emp.start <= day and (emp.end is None or day <= emp.end)
        if day.isoweekday() <= 5 and day not in HOLIDAYS and active:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load_raw(conn: psycopg.Connection, folder: Path) -> None:
    """Reference files and one USB attlog per device, through the real loaders."""
    folder.mkdir(parents=True, exist_ok=True)
    load_reference_file(
        conn,
        "opd",
        _write(
            folder / "opd.csv",
            ("opd_code,nama_opd,jenis_opd\nDINKES,Dinas Kesehatan,dinas\nKEC01,Kecamatan Satu,kecamatan\n"),
        ),
    )
    load_reference_file(
        conn,
        "devices",
        _write(
            folder / "devices.csv",
            "device_sn,nama,opd_code,host,port,protocol,timezone\n"
            + "".join(
                f"{sn},Mesin {opd},{opd},127.0.0.1,{4370 + i},tcp,Asia/Jakarta\n"
                for i, (sn, opd) in enumerate(DEVICES.items())
            ),
        ),
    )
    load_reference_file(
        conn,
        "employees",
        _write(
            folder / "employees.csv",
            (
                "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"
                + "".join(
                    f"{e.nip},Pegawai {i},{e.jenis},III/a,Staf,7,{e.opd},{e.base},{e.start},{e.end or ''}\n"
                    for i, e in enumerate(EMPLOYEES)
                )
            ),
        ),
    )
    load_reference_file(
        conn,
        "pins",
        _write(
            folder / "pins.csv",
            "nip,device_pin,device_sn\n" + "".join(f"{e.nip},{e.pin},{e.device}\n" for e in EMPLOYEES),
        ),
    )
    for sn in DEVICES:
        lines = []
        for e in EMPLOYEES:
            if e.device != sn:
                continue
            for day in workdays(e):
                if day in e.absent:
                    continue
                out = "16:35:10" if day.isoweekday() == 5 else "16:05:10"
                lines += [f"{e.pin:>9}\t{day} 07:25:00\t1\t0\t0\t0", f"{e.pin:>9}\t{day} {out}\t1\t1\t0\t0"]
        import_attlog(conn, _write(folder / f"{sn}_attlog.dat", "\n".join(lines) + "\n"), sn)


def attlog(folder: Path, name: str, lines: list[str]) -> Path:
    return _write(folder / name, "\n".join(lines) + "\n")


DAILY_DDL = """
create table {s}.fct_attendance_daily (
    nip text not null, work_date date not null, opd_code text, policy_id text,
    schedule_in time, schedule_out time, first_in timestamp, last_out timestamp,
    late_minutes integer, early_minutes integer, tl_tier integer, psw_tier integer,
    status text, deduction_pct numeric(6, 2), reason text)
"""
MONTHLY_DDL = """
create table {s}.fct_allowance_deduction_monthly (
    nip text not null, month date not null, opd_code text, policy_id text, base_amount bigint,
    workdays integer, days_hadir integer, days_tk integer, days_leave integer,
    total_pct_uncapped numeric(7, 2), total_pct numeric(7, 2), deduction_amount bigint,
    net_amount bigint, is_locked boolean)
"""


RANKS_DDL = """
create table {s}.mart_employee_discipline_monthly (
    nip text not null, month date not null, opd_code text, days_tk integer, rank_in_opd integer);
create table {s}.mart_opd_discipline_monthly (
    opd_code text not null, month date not null, days_tk integer, discipline_rank integer);
"""


def build_marts(conn: psycopg.Connection, schema: str) -> None:
    """Correct marts for the raw data above (tukin_standard: TK 5%/day), in `schema`."""
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(DAILY_DDL.format(s=schema))
    conn.execute(MONTHLY_DDL.format(s=schema))
    conn.execute(RANKS_DDL.format(s=schema))
    for e in EMPLOYEES:
        days = workdays(e)
        total = Decimal(0)
        for day in days:
            end = dt.time(16, 30) if day.isoweekday() == 5 else dt.time(16, 0)
            if day in e.absent:
                row = (None, None, 0, 0, "TK", Decimal("5.00"), "tidak ada punch dan tidak ada izin")
            else:
                out = dt.datetime.combine(
                    day, dt.time(16, 35, 10) if day.isoweekday() == 5 else dt.time(16, 5, 10)
                )
                row = (
                    dt.datetime.combine(day, dt.time(7, 25)),
                    out,
                    0,
                    0,
                    "HADIR",
                    Decimal("0.00"),
                    "tepat waktu",
                )
            total += row[5]
            conn.execute(
                f"insert into {schema}.fct_attendance_daily values "
                "(%s, %s, %s, 'tukin_standard', '07:30', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    e.nip,
                    day,
                    e.opd,
                    end,
                    row[0],
                    row[1],
                    0 if row[0] else None,
                    0 if row[0] else None,
                    row[2],
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                ),
            )
        if not days:
            continue
        capped = min(total, Decimal(100))
        deduction = int((Decimal(e.base) * capped / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        tk = len([d for d in days if d in e.absent])
        conn.execute(
            f"insert into {schema}.fct_allowance_deduction_monthly values "
            "(%s, %s, %s, 'tukin_standard', %s, %s, %s, %s, 0, %s, %s, %s, %s, false)",
            (
                e.nip,
                MONTH,
                e.opd,
                e.base,
                len(days),
                len(days) - tk,
                tk,
                total,
                capped,
                deduction,
                e.base - deduction,
            ),
        )
    # Ranks as SQL rank() gives them: fewest TK days first, ties share a rank.
    conn.execute(
        f"insert into {schema}.mart_employee_discipline_monthly "
        "select nip, month, opd_code, days_tk, (rank() over (partition by opd_code, month order by days_tk))::int "
        f"from {schema}.fct_allowance_deduction_monthly"
    )
    conn.execute(
        f"insert into {schema}.mart_opd_discipline_monthly select opd_code, month, sum(days_tk), "
        "(rank() over (partition by month order by sum(days_tk)))::int "
        f"from {schema}.fct_allowance_deduction_monthly group by opd_code, month"
    )
