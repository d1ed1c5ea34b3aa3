"""The monthly close: lock a month so what finance paid never changes (DESIGN §6).

`lock_month` copies the month's rows of marts.fct_attendance_daily and
marts.fct_allowance_deduction_monthly, and the adjustments paid in that month, into ops.* (migration
0003). The allowance marts are views that read a locked month from those copies at once (is_locked
= true from the moment of the lock), and the facts never recompute it; later corrections of it become rows of
marts.fct_allowance_adjustment in the first open month. Call it after `absensi transform` and the
quality gate for that month.
"""

from __future__ import annotations

from datetime import date

import psycopg

from warehouse import db
from warehouse.errors import UserError

_DAILY_COLUMNS = (
    "nip, work_date, opd_code, policy_id, schedule_in, schedule_out, first_in, last_out, late_minutes, "
    "early_minutes, tl_tier, psw_tier, status, deduction_pct, reason"
)
_MONTHLY_COLUMNS = (
    "nip, month, opd_code, policy_id, base_amount, workdays, days_hadir, days_tk, days_leave, "
    "total_pct_uncapped, total_pct, deduction_amount, net_amount"
)
_ADJUSTMENT_COLUMNS = (
    "nip, month, corrected_month, opd_code, policy_id, base_amount, locked_total_pct, corrected_total_pct, "
    "locked_deduction_amount, corrected_deduction_amount, adjustment_amount, reason"
)


def lock_month(conn: psycopg.Connection, month: date, *, note: str | None = None) -> bool:
    """Freeze the month starting `month`; returns False (and changes nothing) when it was already locked.

    Needs the marts built (run `absensi transform` first). One transaction: either the lock and all
    its copies exist, or nothing does.
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
