"""Transform speed at regency to province size (issues 4, 13 and 21).

1. Hourly incremental run with BENCH_MONTHS (default 12) months of history vs with 1 month (same
   run, same server), run as the hourly DAG runs it (views and seeds only when changed, no unit
   tests, data tests on the touched days): the ratio must be <= 1.2 (the hourly cost must not grow
   with history, device coverage and the re-evaluation of MENUNGGU days included), and the hourly run
   at BENCH_MONTHS must take <= 15 s.
2. Full refresh of BENCH_MONTHS months: <= 4 min.
Each scenario also prints the database size and the temporary bytes PostgreSQL wrote
(pg_stat_database.temp_bytes) during the full refresh and during the hourly runs, and the load
average, since this machine is shared.

Raw data is written straight with SQL (one device per 100 people, one USB batch per device per workday,
exported from the device at 19:00 so it covers that day; ~95% of people punching twice a day) so the bench
measures dbt, not the generator. An "hour" is one new batch per device carrying the punches of one hour
of the last day for everyone on that device; BENCH_HOURS (default 4) such runs, the first a warm-up, the
figure the median of the rest.
Run: `BENCH_EMPLOYEES=30000 .venv/bin/python -m bench transform` (ABSENSI_DATABASE_URL or a throwaway
embedded server).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

import psycopg

from absensi.transform import run_build
from bench._db import bench_settings, scratch_database, scratch_server

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "8000"))
DEVICES = max(1, EMPLOYEES // 100)
OPDS = 40
MONTHS = int(os.environ.get("BENCH_MONTHS", "12"))
HOURS = max(2, int(os.environ.get("BENCH_HOURS", "4")))
END = dt.date(2026, 10, 30)  # a Friday; history ends here ("today" of the hourly run)


def _reference(conn: psycopg.Connection) -> None:
    def batch(kind: str) -> int:
        return conn.execute(
            "insert into raw.ingest_batch (kind, started_at, status) values (%s, now(), 'ok') returning batch_id",
            (kind,),
        ).fetchone()[0]

    b = batch("opd")
    conn.execute(
        "insert into raw.opd select %s, i, 'OPD' || lpad(i::text, 3, '0'), 'OPD ' || i,"
        " case when i %% 5 = 0 then 'PUSKESMAS' else 'DINAS' end from generate_series(1, %s) i",
        (b, OPDS),
    )
    b = batch("devices")
    conn.execute(
        "insert into raw.device select %s, i, 'DEV' || lpad(i::text, 4, '0'), 'Mesin ' || i,"
        " 'OPD' || lpad((1 + i %% %s)::text, 3, '0'), '10.0.0.' || i, 4370, 'tcp', null, null, true"
        " from generate_series(1, %s) i",
        (b, OPDS, DEVICES),
    )
    b = batch("employees")
    conn.execute(
        "insert into raw.employee select %s, i, lpad((197001012000011000 + i)::text, 18, '0'), 'Pegawai ' || i,"
        " (array['PNS','CPNS','PPPK','HONORER'])[1 + i %% 4], 'III/a', 'Staf', 7,"
        " 'OPD' || lpad((1 + (i %% %s) %% %s)::text, 3, '0'), 3000000 + (i %% 977) * 1000, '2020-01-01', null"
        " from generate_series(1, %s) i",
        (b, DEVICES, OPDS, EMPLOYEES),
    )
    b = batch("pins")
    conn.execute(
        "insert into raw.employee_pin select %s, i, lpad((197001012000011000 + i)::text, 18, '0'), i::text, null"
        " from generate_series(1, %s) i",
        (b, EMPLOYEES),
    )


def _punch_days(conn: psycopg.Connection, first: dt.date, last: dt.date) -> int:
    """One ok USB batch per device per weekday, with the day's punches of that device's people."""
    conn.execute(
        """create temp table day_batch as
           with days as (
               select d::date as day from generate_series(%s::date, %s::date, interval '1 day') d
               where extract(isodow from d) < 6
           ), inserted as (
               insert into raw.ingest_batch (kind, device_sn, started_at, finished_at, status,
                                             records_read, records_new, server_time, device_time)
               select 'usb', 'DEV' || lpad(dev::text, 4, '0'), days.day + time '19:00',
                      days.day + time '19:00', 'ok', 0, 0, days.day + time '19:00', days.day + time '19:00'
               from days cross join generate_series(1, %s) dev
               order by days.day, dev
               returning batch_id, device_sn, started_at
           )
           select batch_id, device_sn, started_at::date as day from inserted""",
        (first, last, DEVICES),
    )
    rows = conn.execute(
        """insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state,
                                         work_code, source, batch_id)
           select b.device_sn, e.i::text, b.day + t.at, 1, t.state, 0, 'usb', b.batch_id
           from day_batch b
           cross join generate_series(1, %s) e(i)
           cross join lateral (
               values (time '07:00' + (abs(hashtext(e.i || 'in' || b.day)) %% 5400) * interval '1 second', 0),
                      (time '15:45' + (abs(hashtext(e.i || 'out' || b.day)) %% 5400) * interval '1 second', 1)
           ) t(at, state)
           where 'DEV' || lpad((1 + e.i %% %s)::text, 4, '0') = b.device_sn
             and abs(hashtext(e.i || 'absent' || b.day)) %% 100 >= 5""",
        (EMPLOYEES, DEVICES),
    ).rowcount
    conn.execute("drop table day_batch")
    return rows


def _one_hour(conn: psycopg.Connection, day: dt.date, hour: int) -> int:
    """New batches, one per device, with `hour`:00-`hour`:59 punches of `day` for its people."""
    conn.execute(
        """create temp table hour_batch as
           with inserted as (
               insert into raw.ingest_batch (kind, device_sn, started_at, finished_at, status, server_time)
               select 'pull', 'DEV' || lpad(dev::text, 4, '0'), now(), now(), 'ok', %s::timestamp + interval '9 hours'
               from generate_series(1, %s) dev
               returning batch_id, device_sn
           ) select * from inserted""",
        (day, DEVICES),
    )
    rows = conn.execute(
        """insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state,
                                         work_code, source, batch_id)
           select b.device_sn, e.i::text,
                  %s::date + make_time(%s, 0, 0) + (abs(hashtext(e.i || 'hour' || %s)) %% 3600) * interval '1 second',
                  1, 0, 0, 'pull', b.batch_id
           from hour_batch b
           cross join generate_series(1, %s) e(i)
           where 'DEV' || lpad((1 + e.i %% %s)::text, 4, '0') = b.device_sn
           on conflict do nothing""",
        (day, hour, hour, EMPLOYEES, DEVICES),
    ).rowcount
    conn.execute("drop table hour_batch")
    return rows


def _fct_seconds(result) -> float:
    return sum(n.seconds for n in result.nodes if n.unique_id.endswith(".fct_attendance_daily"))


def _temp_bytes(url: str) -> int:
    """pg_stat_database.temp_bytes of the database at `url` (statistics reach the view within a
    second of a transaction's end, hence the pause)."""
    time.sleep(1.2)
    with psycopg.connect(url) as conn:
        return int(
            conn.execute(
                "select temp_bytes from pg_stat_database where datname = current_database()"
            ).fetchone()[0]
        )


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _scenario(server: str, months: int) -> dict[str, float]:
    index = END.year * 12 + END.month - 1 - (months - 1)
    start = dt.date(index // 12, index % 12 + 1, 1)
    dbt_vars = {
        "attendance_start": start.isoformat(),
        "attendance_end": END.isoformat(),
        "late_commit_minutes": 0,
    }
    with scratch_database(server) as url:
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            _reference(conn)
            punches = _punch_days(conn, start, END - dt.timedelta(days=1))
            conn.execute("analyze")
        load_s = time.perf_counter() - t0
        temp_before = _temp_bytes(url)
        full = run_build(url, bench_settings(), vars=dbt_vars, full_refresh=True, unit_tests=False)
        full_load = _load()
        temp_full = _temp_bytes(url) - temp_before
        with psycopg.connect(url) as conn:
            facts = conn.execute("select count(*) from marts.fct_attendance_daily").fetchone()[0]
            size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
        hourly = []
        temp_before = _temp_bytes(url)
        for hour in range(7, 7 + HOURS):  # the first after a full refresh is a warm-up
            with psycopg.connect(url, autocommit=True) as conn:
                _one_hour(conn, END, hour)
            # as the hourly DAG runs it (absensi.orchestration.hourly.transform)
            hourly.append(
                run_build(url, bench_settings(), vars=dbt_vars, unit_tests=False, changed_only=True)
            )
        temp_hourly = (_temp_bytes(url) - temp_before) / HOURS
        steady = hourly[1:]
        with psycopg.connect(url) as conn:
            waiting = conn.execute(
                "select count(*), count(distinct work_date) from marts.fct_attendance_daily where status = 'MENUNGGU'"
            ).fetchone()
        result = {
            "months": months,
            "punches": punches,
            "facts": facts,
            "load_s": load_s,
            "full_s": full.seconds,
            "full_fct_s": _fct_seconds(full),
            "hourly_s": statistics.median(r.seconds for r in steady),
            "hourly_fct_s": statistics.median(_fct_seconds(r) for r in steady),
            "size": size,
        }
        print(
            f"  {months:>2} month(s): {punches:,} punches, {facts:,} daily rows; load {load_s:.0f} s; "
            f"full refresh {full.seconds:.1f} s (fct {result['full_fct_s']:.1f} s; temp {temp_full / 2**20:,.0f} MiB; "
            f"{full_load}); database {size / 2**30:.2f} GiB",
            flush=True,
        )
        print(
            f"     hourly incremental median {result['hourly_s']:.1f} s of {_runs(steady)} "
            f"(fct {result['hourly_fct_s']:.2f} s; {len(steady[-1].nodes)} nodes; temp {temp_hourly / 2**20:,.1f} MiB/run; "
            f"{_load()}); {waiting[0]:,} MENUNGGU rows on {waiting[1]} day(s)",
            flush=True,
        )
        return result


def _runs(results) -> str:
    return " ".join(f"{r.seconds:.1f}" for r in results)


def main() -> None:
    print(f"{EMPLOYEES:,} employees, {DEVICES} devices, 1 vs {MONTHS} months; {_load()}", flush=True)
    with scratch_server() as server:
        one = _scenario(server, 1)
        many = _scenario(server, MONTHS)
    ratio = many["hourly_s"] / one["hourly_s"]
    fct_ratio = many["hourly_fct_s"] / max(one["hourly_fct_s"], 1e-9)
    print(
        f"hourly run, {MONTHS} months vs 1 month: {many['hourly_s']:.1f} s / {one['hourly_s']:.1f} s = {ratio:.2f}x "
        f"(fct_attendance_daily alone {fct_ratio:.2f}x); target <= 1.2 -> {'OK' if ratio <= 1.2 else 'TOO SLOW'}"
    )
    print(
        f"hourly run at {MONTHS} months: {many['hourly_s']:.1f} s; target <= 15 s -> "
        f"{'OK' if many['hourly_s'] <= 15 else 'TOO SLOW'}"
    )
    print(
        f"full refresh of {MONTHS} months: {many['full_s']:.0f} s ({many['full_s'] / 60:.1f} min); target <= 4 min "
        f"-> {'OK' if many['full_s'] <= 240 else 'TOO SLOW'}; database {many['size'] / 2**30:.2f} GiB"
    )


if __name__ == "__main__":
    main()
