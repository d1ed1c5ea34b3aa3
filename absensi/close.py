"""The monthly close: lock a month so what finance paid never changes (DESIGN §6).

`lock_month` copies the month's rows of marts.fct_attendance_daily and
marts.fct_allowance_deduction_monthly, and the adjustments paid in that month, into ops.* (migration
0003). The allowance marts are views that read a locked month from those copies at once (is_locked
= true from the moment of the lock), and the facts never recompute it; later corrections of it become rows of
marts.fct_allowance_adjustment in the first open month. Call it after `absensi transform` and the
quality gate for that month.

The close never freezes what is not known (issue 13): `require_month_ended` refuses a month that has
not ended in the regency's timezone (the clock is the caller's `now`, resolved at the edge), and
`require_complete` refuses a month that still has `MENUNGGU` days, naming every device and day still
missing and how to resolve it. `lock_month` checks completeness again inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import psycopg

from warehouse import db
from warehouse.errors import UserError
from warehouse.months import iso_month, next_month

# One line per device and day; a month with a device silent for weeks would print thousands.
MAX_GAP_LINES = 40


class MonthNotClosable(UserError):
    """The close refuses the month (not ended, or days still MENUNGGU); nothing was locked."""


def month_end(month: date, timezone: str) -> datetime:
    """The moment the month starting `month` ends: 00:00 of the next month's first day, regency-local."""
    return datetime.combine(next_month(month), time(0), tzinfo=ZoneInfo(timezone))


def require_month_ended(month: date, timezone: str, now: datetime) -> None:
    """Raise MonthNotClosable when `now` (an aware instant) is before the month's end in `timezone`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (resolve it at the edge)")
    end = month_end(month, timezone)
    if now < end:
        local = now.astimezone(ZoneInfo(timezone))
        raise MonthNotClosable(
            f"bulan {iso_month(month)} belum berakhir (zona waktu {timezone}: sekarang {local:%d-%m-%Y %H:%M}, "
            f"bulan berakhir {end:%d-%m-%Y %H:%M}); tidak ada yang dikunci. Tutup bulan setelah bulannya "
            "selesai dan semua mesin terbaca (jadwal monthly_close: tanggal 1 pukul 06:00)"
        )


@dataclass(frozen=True)
class Gap:
    """Employee-days of a month still MENUNGGU for one reason: a device not read past `day`, or
    (device_sn None) something else, e.g. an OPD without any device, over `day`..`last_day`."""

    device_sn: str | None
    opd_code: str | None
    day: date
    last_day: date
    employees: int
    employee_days: int
    last_ok_read_at: datetime | None
    reason: str

    def line(self, timezone: str | None = None) -> str:
        if self.device_sn is None:
            days = (
                f"{self.day:%d-%m-%Y}"
                if self.day == self.last_day
                else f"{self.day:%d-%m-%Y} s.d. {self.last_day:%d-%m-%Y}"
            )
            return (
                f"- OPD {self.opd_code or '?'} {days}: {self.reason}; "
                f"{self.employee_days} hari kerja pegawai ({self.employees} pegawai) MENUNGGU"
            )
        if self.last_ok_read_at is None:
            last = "belum pernah terbaca"
        else:
            read = self.last_ok_read_at.astimezone(ZoneInfo(timezone)) if timezone else self.last_ok_read_at
            last = f"terakhir terbaca {read:%d-%m-%Y %H:%M}"
        opd = f" (OPD {self.opd_code})" if self.opd_code else ""
        return (
            f"- mesin {self.device_sn}{opd} {self.day:%d-%m-%Y}: belum terbaca sesudah hari itu ({last}); "
            f"{self.employees} pegawai MENUNGGU"
        )


# MENUNGGU rows of the month, one per pending device (pending_devices is comma-separated), grouped
# per device and day with the device's coverage; rows waiting on no device, per OPD and reason.
_GAPS_SQL = """
with waiting as (
    select d.nip, d.work_date, d.opd_code, d.reason, nullif(btrim(pending.device_sn), '') as device_sn
    from marts.fct_attendance_daily as d
    left join lateral unnest(string_to_array(d.pending_devices, ',')) as pending (device_sn) on true
    where d.status = 'MENUNGGU' and d.work_date >= %(first)s and d.work_date < %(next)s
),
per_device as (
    select w.device_sn, min(w.opd_code) as employee_opd, w.work_date, count(distinct w.nip) as employees,
           count(*) as employee_days
    from waiting as w where w.device_sn is not null
    group by w.device_sn, w.work_date
),
per_reason as (
    select w.opd_code, w.reason, min(w.work_date) as first_day, max(w.work_date) as last_day,
           count(distinct w.nip) as employees, count(*) as employee_days
    from waiting as w where w.device_sn is null
    group by w.opd_code, w.reason
)
select p.device_sn, coalesce({coverage_opd}, p.employee_opd), p.work_date, p.work_date, p.employees,
       p.employee_days, {coverage_read}, ''
from per_device as p {coverage_join}
union all
select null, r.opd_code, r.first_day, r.last_day, r.employees, r.employee_days, null, coalesce(r.reason, '')
from per_reason as r
order by 1 nulls last, 3, 2
"""


@dataclass(frozen=True)
class Completeness:
    """How final the month is: its MENUNGGU employee-days and employees, and why they wait."""

    month: date
    employee_days: int
    employees: int
    gaps: list[Gap]

    @property
    def complete(self) -> bool:
        return self.employee_days == 0

    @property
    def devices(self) -> list[str]:
        return sorted({g.device_sn for g in self.gaps if g.device_sn})


def month_completeness(conn: psycopg.Connection, month: date) -> Completeness:
    """What keeps the month starting `month` from being final (nothing when every workday is final)."""
    if not db.relation_exists(conn, "marts.fct_attendance_daily"):
        return Completeness(month, 0, 0, [])
    bounds = {"first": month, "next": next_month(month)}
    counted = conn.execute(
        """select count(*), count(distinct nip) from marts.fct_attendance_daily
           where status = 'MENUNGGU' and work_date >= %(first)s and work_date < %(next)s""",
        bounds,
    ).fetchone()
    assert counted is not None  # an aggregate without group by returns one row
    if not counted[0]:
        return Completeness(month, 0, 0, [])
    coverage = db.relation_exists(conn, "marts.mart_device_coverage")
    sql = _GAPS_SQL.format(
        coverage_opd="c.opd_code" if coverage else "null",
        coverage_read="c.last_ok_read_at" if coverage else "null::timestamptz",
        coverage_join="left join marts.mart_device_coverage as c "
        "on c.device_sn = p.device_sn and c.day = p.work_date"
        if coverage
        else "",
    )
    rows = conn.execute(sql, bounds).fetchall()
    gaps = [Gap(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), r[6], r[7]) for r in rows]
    return Completeness(month, int(counted[0]), int(counted[1]), gaps)


def incomplete_message(state: Completeness, timezone: str | None = None) -> str:
    """The refusal: one line per device/day (at most MAX_GAP_LINES), then the summary and what to do."""
    month_text = iso_month(state.month)
    lines = [g.line(timezone) for g in state.gaps[:MAX_GAP_LINES]]
    if len(state.gaps) > MAX_GAP_LINES:
        lines.append(
            f"- … dan {len(state.gaps) - MAX_GAP_LINES} baris lagi "
            "(lihat marts.mart_device_coverage yang covered = false)"
        )
    devices = state.devices
    example = devices[0] if devices else "SN"
    what = f"{len(devices)} mesin belum terbaca: {', '.join(devices)}" if devices else "bukan karena mesin"
    lines.append(
        f"bulan {month_text} tidak ditutup: {state.employee_days} hari kerja pegawai ({state.employees} "
        f"pegawai) masih MENUNGGU ({what}); tidak ada yang dikunci. Selesaikan: tarik mesinnya "
        f"(`absensi pull --device {example}`), impor berkas USB-nya (`absensi import-usb --device {example} "
        'BERKAS --exported-at "YYYY-MM-DD HH:MM"`), atau muat surat/koreksi untuk hari itu '
        f"(`absensi load leave BERKAS`); lalu jalankan `absensi close-month {month_text}` lagi"
    )
    return "\n".join(lines)


def require_complete(conn: psycopg.Connection, month: date, timezone: str | None = None) -> None:
    """Raise MonthNotClosable, listing every device/day still missing, when the month has MENUNGGU rows."""
    state = month_completeness(conn, month)
    if not state.complete:
        raise MonthNotClosable(incomplete_message(state, timezone))
    unscored = _unscored_employees(conn, month)
    if unscored:
        month_text = iso_month(month)
        shown = ", ".join(unscored[:MAX_GAP_LINES]) + (" …" if len(unscored) > MAX_GAP_LINES else "")
        raise MonthNotClosable(
            f"bulan {month_text} tidak ditutup: {len(unscored)} pegawai belum punya nilai e-kinerja bulan ini "
            f"({shown}); bagian kinerja TPP-nya belum diketahui dan tidak ditebak; tidak ada yang dikunci. "
            f"Muat nilainya (`absensi load kinerja BERKAS.csv`), lalu jalankan `absensi close-month {month_text}` lagi"
        )


def _unscored_employees(conn: psycopg.Connection, month: date) -> list[str]:
    """Issue 20: NIPs whose month is final by its days but not complete (the policy pays a
    productivity part by an e-kinerja score and none is imported for the month)."""
    if not db.relation_exists(conn, "marts.fct_allowance_deduction_monthly"):
        return []
    rows = conn.execute(
        """select nip from marts.fct_allowance_deduction_monthly
           where month = %s and not is_locked and days_menunggu = 0 and not is_complete
           order by nip""",
        (month,),
    ).fetchall()
    return [r[0] for r in rows]


_DAILY_COLUMNS = (
    "nip, work_date, opd_code, policy_id, schedule_in, schedule_out, first_in, last_out, late_minutes, "
    "early_minutes, tl_tier, psw_tier, status, deduction_pct, reason, shift_code"
)
_MONTHLY_COLUMNS = (
    "nip, month, opd_code, policy_id, base_amount, workdays, days_hadir, days_tk, days_leave, "
    "total_pct_uncapped, total_pct, deduction_amount, net_amount"
)
_ADJUSTMENT_COLUMNS = (
    "nip, month, corrected_month, opd_code, policy_id, base_amount, locked_total_pct, corrected_total_pct, "
    "locked_deduction_amount, corrected_deduction_amount, adjustment_amount, reason"
)


def lock_month(
    conn: psycopg.Connection, month: date, *, note: str | None = None, timezone: str | None = None
) -> bool:
    """Freeze the month starting `month`; returns False (and changes nothing) when it was already locked.

    Needs the marts built (run `absensi transform` first) and every workday of the month final
    (MonthNotClosable otherwise; `timezone` is the one its message shows times in). One transaction:
    either the lock and all its copies exist, or nothing does.
    """
    first_day = month
    with conn.transaction():
        # Serialise two closes of the same month (a DAG retry racing a CLI run).
        conn.execute(
            "select pg_advisory_xact_lock(hashtext('absensi.lock_month'), %s)", (first_day.toordinal(),)
        )
        if db.is_month_locked(conn, first_day):
            return False
        marts = ("fct_attendance_daily", "fct_allowance_deduction_monthly", "fct_allowance_adjustment")
        if not all(db.relation_exists(conn, f"marts.{name}") for name in marts):
            raise UserError(
                f"bulan {first_day:%Y-%m} tidak dapat dikunci: mart belum dibangun (jalankan `absensi transform`)"
            )
        # What is not known yet is never frozen, whoever calls (the close's gate step said so already).
        require_complete(conn, first_day, timezone)
        # Read the marts before the lock row exists: from then on the allowance views read the copies.
        conn.execute(
            f"create temp table lock_daily on commit drop as select {_DAILY_COLUMNS} "
            "from marts.fct_attendance_daily where work_date >= %s and work_date < (%s::date + interval '1 month')",
            (first_day, first_day),
        )
        conn.execute(
            f"create temp table lock_monthly on commit drop as select {_MONTHLY_COLUMNS} "
            "from marts.fct_allowance_deduction_monthly where month = %s",
            (first_day,),
        )
        conn.execute(
            f"create temp table lock_adjustment on commit drop as select {_ADJUSTMENT_COLUMNS} "
            "from marts.fct_allowance_adjustment where month = %s and not is_locked",
            (first_day,),
        )
        conn.execute("insert into ops.month_lock (month, note) values (%s, %s)", (first_day, note))
        conn.execute(
            f"insert into ops.locked_attendance_daily ({_DAILY_COLUMNS}, month) "
            f"select {_DAILY_COLUMNS}, %s from lock_daily",
            (first_day,),
        )
        conn.execute(
            f"insert into ops.locked_deduction_monthly ({_MONTHLY_COLUMNS}) select * from lock_monthly"
        )
        conn.execute(
            f"insert into ops.locked_adjustment ({_ADJUSTMENT_COLUMNS}) select * from lock_adjustment"
        )
    return True
