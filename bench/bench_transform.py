"""Transform speed at regency to province size (issues 4, 13 and 21).

1. Hourly incremental run with BENCH_MONTHS (default 12) months of history vs with 1 month (same
   run, same server), run as the hourly DAG runs it (views and seeds only when changed, no unit
   tests, data tests on the touched days): the ratio must be <= 1.2 (the hourly cost must not grow
   with history, device coverage and the re-evaluation of MENUNGGU days included), and the hourly run
   at BENCH_MONTHS must take <= 15 s.
   Then BENCH_CLI (default 2) more hours each run as an operator or cron runs it, `absensi transform`
   in a new process (import, settings, dbt start included): the wall time at BENCH_MONTHS must be
   <= 10 s at 8,000 employees.
2. Full refresh of BENCH_MONTHS months, month by month as `absensi transform --full-refresh` runs it
   (absensi.transform.refresh_by_month): <= 4 min.
Each scenario also prints the database size and the temporary bytes PostgreSQL wrote
(pg_stat_database.temp_bytes) during the full refresh and during the hourly runs, and the load
average, since this machine is shared.

Raw data is written straight with SQL (one device per 100 people, one USB batch per device per day,
exported from the device at 23:59:59 so it covers that day; ~95% of people punching twice a day) so the bench
measures dbt, not the generator. BENCH_SHIFT_SHARE (default 0.2, issue 14) of the people work a roster
(raw.roster: PAGI, SIANG, MALAM, L in rotation, weekends and holidays included; night check-outs on the
next calendar day, some late, some missing the morning check-out); the others keep the Mon-Fri day. An "hour" is one new batch per device carrying the punches of one hour
of the last day for everyone on that device; BENCH_HOURS (default 4) such runs, the first a warm-up, the
figure the median of the rest.
BENCH_EXPLAIN=1 prints, after the hourly runs of each history, EXPLAIN (ANALYZE, BUFFERS) of the
hour's int_attendance_scope, int_attendance_monthly and fct_attendance_daily (their compiled SQL, the hour's touched ranges
still in int_attendance_touched): execution time, buffers and estimated vs actual rows of every node.
Run: `BENCH_EMPLOYEES=30000 .venv/bin/python -m bench transform` (ABSENSI_DATABASE_URL or a throwaway
embedded server).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from absensi.transform import refresh_by_month, run_build
from bench._db import bench_settings, scratch_database, scratch_server

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "8000"))
DEVICES = max(1, EMPLOYEES // 100)
OPDS = 40
MONTHS = int(os.environ.get("BENCH_MONTHS", "12"))
HOURS = max(2, int(os.environ.get("BENCH_HOURS", "4")))
EXPLAIN = os.environ.get("BENCH_EXPLAIN", "") not in ("", "0")
COMPILED = Path(__file__).resolve().parents[1] / "dbt" / "target" / "compiled" / "absensi" / "models"
CLI_RUNS = int(os.environ.get("BENCH_CLI", "2"))
SHIFT_SHARE = float(os.environ.get("BENCH_SHIFT_SHARE", "0.2"))
# every SHIFT_EVERY-th person works a roster (0 = nobody)
SHIFT_EVERY = round(1 / SHIFT_SHARE) if SHIFT_SHARE > 0 else 0
END = dt.date(2026, 10, 30)  # a Friday; history ends here ("today" of the hourly run)


def _shift_people() -> str:
    """SQL condition on person number e.i: works a roster (`%%`: the queries take parameters)."""
    return f"e.i %% {SHIFT_EVERY} = 0" if SHIFT_EVERY else "false"


# the rotation of a rostered person on a day (PAGI, SIANG, MALAM, L), from the person and the date
_SHIFT_OF = "(array['PAGI','SIANG','MALAM','L'])[1 + (e.i + (d::date - date '2000-01-01')) %% 4]"


def _reference(conn: psycopg.Connection, first: dt.date, last: dt.date) -> None:
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
    if SHIFT_EVERY:
        b = batch("roster")
        conn.execute(
            f"insert into raw.roster select %s, row_number() over (), lpad((197001012000011000 + e.i)::text, 18, '0'),"
            f" d::date, {_SHIFT_OF}"
            f" from generate_series(1, %s) e(i)"
            f" cross join generate_series(%s::date - 1, %s::date + 1, interval '1 day') d"
            f" where {_shift_people()}",
            (b, EMPLOYEES, first, last),
        )


def _punch_days(conn: psycopg.Connection, first: dt.date, last: dt.date) -> int:
    """One ok USB batch per device per day, with the punches of that calendar day of that device's
    people: regular people on weekdays, rostered people by their shift (a night shift's check-out on
    the next day's batch)."""
    conn.execute(
        """create temp table day_batch as
           with days as (
               select d::date as day from generate_series(%s::date, %s::date, interval '1 day') d
           ), inserted as (
               insert into raw.ingest_batch (kind, device_sn, started_at, finished_at, status,
                                             records_read, records_new, server_time, device_time)
               select 'usb', 'DEV' || lpad(dev::text, 4, '0'), days.day + time '23:59:59',
                      days.day + time '23:59:59', 'ok', 0, 0, days.day + time '23:59:59', days.day + time '23:59:59'
               from days cross join generate_series(1, %s) dev
               order by days.day, dev
               returning batch_id, device_sn, started_at
           )
           select batch_id, device_sn, started_at::date as day from inserted""",
        (first, last, DEVICES),
    )
    conn.execute("create index on day_batch (device_sn, day)")
    rows = conn.execute(
        f"""insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state,
                                          work_code, source, batch_id)
           with punches as (
               select 'DEV' || lpad((1 + e.i %% %s)::text, 4, '0') as device_sn, e.i, d::date + t.at as punch_local,
                      t.state
               from generate_series(1, %s) e(i)
               cross join generate_series(%s::date, %s::date, interval '1 day') d
               cross join lateral (
                   values (time '07:00' + (abs(hashtext(e.i || 'in' || d::date)) %% 5400) * interval '1 second', 0),
                          (time '15:45' + (abs(hashtext(e.i || 'out' || d::date)) %% 5400) * interval '1 second', 1)
               ) t(at, state)
               where not ({_shift_people()})
                 and extract(isodow from d) < 6
                 and abs(hashtext(e.i || 'absent' || d::date)) %% 100 >= 5
               union all
               -- rostered: check-in 45 min early .. 15 min late, check-out up to 45 min after the end
               -- (the next day for MALAM); 5%% absent, 3%% of the rest without a check-out
               select 'DEV' || lpad((1 + e.i %% %s)::text, 4, '0'), e.i, t.at, t.state
               from generate_series(1, %s) e(i)
               cross join generate_series(%s::date - 1, %s::date, interval '1 day') d
               cross join lateral (select {_SHIFT_OF} as code) s
               inner join (values ('PAGI', time '07:00', interval '7 hours'),
                                  ('SIANG', time '14:00', interval '7 hours'),
                                  ('MALAM', time '21:00', interval '10 hours')) k(code, masuk, length)
                   on k.code = s.code
               cross join lateral (
                   values (d::date + k.masuk + ((abs(hashtext(e.i || 'in' || d::date)) %% 3600) - 2700)
                               * interval '1 second', 0, true),
                          (d::date + k.masuk + k.length + (abs(hashtext(e.i || 'out' || d::date)) %% 2700)
                               * interval '1 second', 1, abs(hashtext(e.i || 'nout' || d::date)) %% 100 >= 3)
               ) t(at, state, kept)
               where {_shift_people()}
                 and t.kept
                 and abs(hashtext(e.i || 'absent' || d::date)) %% 100 >= 5
           )
           select punches.device_sn, punches.i::text, punches.punch_local, 1, punches.state, 0, 'usb', b.batch_id
           from punches
           inner join day_batch b on b.device_sn = punches.device_sn and b.day = punches.punch_local::date""",
        (DEVICES, EMPLOYEES, first, last, DEVICES, EMPLOYEES, first, last),
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


def _cli_hour(url: str, dbt_vars: dict) -> float:
    """Wall seconds of one `absensi transform` (the hourly build) in a new process on `url`."""
    cli = Path(sys.executable).with_name("absensi")
    env = {**os.environ, "ABSENSI_DATABASE_URL": url}
    env.pop("ABSENSI_DBT_DATABASE_URL", None)
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(cli), "transform", "--vars", json.dumps(dbt_vars)], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(
            f"absensi transform failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return seconds


def _fct_seconds(result) -> float:
    builds = getattr(result, "builds", None) or [result]  # a month-by-month refresh: every month's build
    return sum(n.seconds for b in builds for n in b.nodes if n.unique_id.endswith(".fct_attendance_daily"))


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


def _explain(url: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the last hourly build's scope and monthly selects."""
    for model in ("int_attendance_scope", "int_attendance_monthly", "fct_attendance_daily"):
        # the model's own compiled select, not a unit test's (compiled under <file>.yml/)
        sql = next(
            p for p in COMPILED.rglob(f"{model}.sql") if not p.parent.name.endswith(".yml")
        ).read_text()
        with psycopg.connect(url) as conn:
            plan = conn.execute(f"explain (analyze, buffers, format text) {sql}").fetchall()
            conn.rollback()
        print(f"     EXPLAIN (ANALYZE, BUFFERS) {model}:", flush=True)
        for (line,) in plan:
            if "rows=" in line or "Execution Time" in line or "Buffers: shared" in line:
                print(f"       {line}", flush=True)


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
            _reference(conn, start, END)
            # the months' partitions first, as every loader creates them (migration 0015)
            conn.execute(
                "select raw.ensure_punch_partitions_for(array(select generate_series(%s::date, %s::date,"
                " interval '1 month')::date))",
                (start, END),
            )
            punches = _punch_days(conn, start, END - dt.timedelta(days=1))
            conn.execute("analyze")
        load_s = time.perf_counter() - t0
        temp_before = _temp_bytes(url)
        full = refresh_by_month(url, bench_settings(), vars=dbt_vars, unit_tests=False)
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
        cli = []
        for hour in range(7 + HOURS, 7 + HOURS + CLI_RUNS):
            with psycopg.connect(url, autocommit=True) as conn:
                _one_hour(conn, END, hour)
            cli.append(_cli_hour(url, dbt_vars))
        slowest = sorted(hourly[-1].nodes, key=lambda n: n.seconds, reverse=True)[:6]
        print(
            "     slowest nodes of the last hourly run: "
            + ", ".join(f"{n.unique_id.split('.')[-1]} {n.seconds:.2f} s" for n in slowest),
            flush=True,
        )
        if EXPLAIN:
            _explain(url)
        steady = hourly[1:]
        with psycopg.connect(url) as conn:
            waiting = conn.execute(
                "select count(*), count(distinct work_date) from marts.fct_attendance_daily where status = 'MENUNGGU'"
            ).fetchone()
            shifts = conn.execute(
                "select count(*) filter (where shift_code <> 'REG'),"
                " count(*) filter (where shift_code <> 'REG' and status = 'TK'),"
                " (select count(*) from marts.q_punch_outside_shift)"
                " from marts.fct_attendance_daily"
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
            "cli_s": statistics.median(cli) if cli else float("nan"),
            "size": size,
        }
        per_node: dict[str, float] = {}
        for build in full.builds:
            for n in build.nodes:
                name = n.unique_id.split(".")[-1]
                per_node[name] = per_node.get(name, 0.0) + n.seconds
        builds_s = sum(b.seconds for b in full.builds)
        print(
            f"     full refresh: {len(full.builds)} builds {builds_s:.1f} s, between them {full.seconds - builds_s:.1f} s;"
            " slowest nodes (all months): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(per_node.items(), key=lambda kv: -kv[1])[:6]),
            flush=True,
        )
        print(
            f"  {months:>2} month(s): {punches:,} punches, {facts:,} daily rows; load {load_s:.0f} s; "
            f"full refresh {full.seconds:.1f} s (fct {result['full_fct_s']:.1f} s; temp {temp_full / 2**20:,.0f} MiB; "
            f"{full_load}); database {size / 2**30:.2f} GiB",
            flush=True,
        )
        print(
            f"     hourly incremental median {result['hourly_s']:.1f} s of {_runs(steady)} "
            f"(fct {result['hourly_fct_s']:.2f} s; {len(steady[-1].nodes)} nodes; temp {temp_hourly / 2**20:,.1f} MiB/run; "
            f"{_load()}); {waiting[0]:,} MENUNGGU rows on {waiting[1]} day(s); "
            f"{shifts[0]:,} rostered shift days ({shifts[1]:,} TK), {shifts[2]:,} punches outside any shift",
            flush=True,
        )
        if cli:
            print(
                f"     hourly `absensi transform` (new process) wall: {' '.join(f'{c:.1f}' for c in cli)} s",
                flush=True,
            )
        return result


def _runs(results) -> str:
    return " ".join(f"{r.seconds:.1f}" for r in results)


def main() -> None:
    print(
        f"{EMPLOYEES:,} employees ({SHIFT_SHARE:.0%} on rosters), {DEVICES} devices, 1 vs {MONTHS} months; {_load()}",
        flush=True,
    )
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
    if CLI_RUNS:
        print(
            f"hourly `absensi transform` wall at {MONTHS} months: {many['cli_s']:.1f} s (1 month {one['cli_s']:.1f} s);"
            f" target <= 10 s at 8,000 employees -> {'OK' if many['cli_s'] <= 10 else 'TOO SLOW'}"
        )
    print(
        f"full refresh of {MONTHS} months: {many['full_s']:.0f} s ({many['full_s'] / 60:.1f} min); target <= 4 min "
        f"-> {'OK' if many['full_s'] <= 240 else 'TOO SLOW'}; database {many['size'] / 2**30:.2f} GiB"
    )


if __name__ == "__main__":
    main()
