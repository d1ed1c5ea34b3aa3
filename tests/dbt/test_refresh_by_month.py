"""The month-by-month full refresh's lock and settings (issue 21); the refresh itself, killed and
resumed on a generated warehouse, is tests/warehouse/test_punch_partitions.py."""

from __future__ import annotations

import psycopg
import pytest

from absensi import transform
from tests.conftest import resolved_settings
from warehouse import settings
from warehouse.errors import UserError


def test_an_hourly_build_is_skipped_at_once_while_a_refresh_holds_the_lock(db_url, monkeypatch, run_cli):
    monkeypatch.setenv(settings.ENV_TRANSFORM_WAIT, "30")  # skipped without waiting for it
    with psycopg.connect(db_url, autocommit=True, application_name=transform.REFRESH_APPLICATION) as refresh:
        refresh.execute("select pg_advisory_lock(%s)", (transform._WAREHOUSE_LOCK_KEY,))
        refresh.execute(
            "insert into ops.transform_refresh (vars, window_start, done_through) values ('{}', '2026-01-01', '2026-06-01')"
        )
        with pytest.raises(transform.RefreshInProgress) as skipped:
            transform.run_build(db_url, resolved_settings(), select="int_attendance_window", unit_tests=False)
        message = str(skipped.value)
        assert "hitung ulang penuh" in message and "bulan 2026-06 sudah selesai" in message
        assert f"pid {refresh.info.backend_pid}" in message

        result = run_cli("transform")
        assert result.exit_code == 0, result.output
        assert "dilewati" in result.output and "hitung ulang penuh" in result.output

        from absensi.edge import resolve
        from absensi.orchestration.hourly import transform as hourly

        status = hourly(resolve())
        assert status["skipped"] and "run berikutnya" in status["reason"]
        with psycopg.connect(db_url) as check:
            assert check.execute("select to_regclass('intermediate.int_attendance_window')").fetchone() == (
                None,
            )


def test_the_lock_is_reentrant_in_the_thread_that_holds_it(db_url):
    with transform._warehouse_build_lock(db_url, 1.0, application=transform.REFRESH_APPLICATION):
        with transform._warehouse_build_lock(db_url, 1.0):  # the refresh's own monthly build
            pass
        with psycopg.connect(db_url, autocommit=True) as other:
            (free,) = other.execute(
                "select pg_try_advisory_lock(%s)", (transform._WAREHOUSE_LOCK_KEY,)
            ).fetchone()
        assert not free  # still held by the outer block
    with psycopg.connect(db_url, autocommit=True) as other:
        (free,) = other.execute(
            "select pg_try_advisory_lock(%s)", (transform._WAREHOUSE_LOCK_KEY,)
        ).fetchone()
    assert free


def test_refresh_session_options():
    assert transform.refresh_session_options({}) == (
        "-c work_mem=256MB -c maintenance_work_mem=256MB -c max_parallel_workers_per_gather=2"
    )
    assert "work_mem=1GB" in transform.refresh_session_options({transform.ENV_REFRESH_WORK_MEM: "1GB"})
    with pytest.raises(UserError, match="ABSENSI_REFRESH_WORK_MEM='banyak' bukan ukuran memori"):
        transform.refresh_session_options({transform.ENV_REFRESH_WORK_MEM: "banyak"})
    with pytest.raises(UserError, match="ABSENSI_REFRESH_PARALLEL_WORKERS='-1' harus bilangan bulat"):
        transform.refresh_session_options({transform.ENV_REFRESH_PARALLEL_WORKERS: "-1"})


def test_after_a_refresh_month_only_that_month_s_partitions_are_analyzed(db_url):
    """A refresh analyzes after each month the partitions of that month and the month before (and
    the default one), not the older ones again; the partitioned table's own statistics at the end."""
    import datetime as dt

    def analyzed(conn) -> set[tuple[str, bool]]:
        return set(
            conn.execute(
                "select tablename, inherited from pg_stats where schemaname in ('marts', 'marts_partitions')"
                " and tablename like 'facts%%' and attname = 'work_date'"
            ).fetchall()
        )

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists marts_partitions")
        conn.execute(
            "create table marts.facts (work_date date not null, n int) partition by range (work_date)"
        )
        conn.execute("create table marts_partitions.facts_default partition of marts.facts default")
        for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
            conn.execute(
                f"create table marts_partitions.facts_p{month.replace('-', '')} partition of marts.facts"
                f" for values from ('{month}-01') to (('{month}-01'::date + interval '1 month')::date)"
            )
        conn.execute(
            "insert into marts.facts select d, i from generate_series(date '2026-06-15', date '2026-10-31',"
            " interval '1 day') d, generate_series(1, 20) i"
        )
        conn.execute("create table marts.plain as select 1 as n")

        transform.analyze_built_tables(db_url, (dt.date(2026, 8, 1), dt.date(2026, 9, 1)), parents=False)
        assert analyzed(conn) == {
            ("facts_default", False),
            ("facts_p202608", False),
            ("facts_p202609", False),
        }
        assert conn.execute(
            "select count(*) from pg_stats where schemaname = 'marts' and tablename = 'plain'"
        ).fetchone() == (1,)

        transform.analyze_built_tables(db_url, (dt.date(2026, 9, 1), dt.date(2026, 10, 1)), parents=True)
        assert ("facts_p202610", False) in analyzed(conn) and ("facts", True) in analyzed(conn)
        if conn.info.server_version >= 180000:  # ANALYZE ONLY; before 18 the whole table again
            assert ("facts_p202607", False) not in analyzed(conn)  # never changed since

        transform.analyze_built_tables(db_url)  # everything, whole
        assert ("facts_p202607", False) in analyzed(conn)


def test_a_refresh_of_three_months_in_one_call_equals_a_one_shot_build(db_url, tmp_path):
    """Months after the first of a refresh leave seeds and staging views alone (they did not change)
    and build only the tables and what stands on them: the marts equal a one-shot full build, row
    for row."""
    from ingest.folder import load_generated_regency
    from ingest.generator import generate
    from tests.dbt.marts_digest import digest

    meta = generate(
        tmp_path / "regency", employees=40, devices=2, start="2026-01-05", days=84, seed=3, regency="oku"
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        load_generated_regency(conn, tmp_path / "regency")
    dbt_vars = {"attendance_start": meta["start"], "attendance_end": meta["end"]}
    transform.run_build(db_url, resolved_settings(), vars=dbt_vars, full_refresh=True, unit_tests=False)
    one_shot = digest(db_url)

    result = transform.refresh_by_month(db_url, resolved_settings(), vars=dbt_vars, unit_tests=False)
    assert [step.month.isoformat() for step in result.months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    first, second, last = (
        {node.unique_id.split(".")[-1]: node.resource_type for node in build.nodes} for build in result.builds
    )
    assert "seed" in first.values() and "stg_raw__employees" in first
    assert "seed" not in second.values() and not any(name.startswith("stg_") for name in second)
    assert {"int_attendance_scope", "int_attendance_days_priced", "fct_attendance_daily"} <= second.keys()
    assert "test" not in second.values() and "test" in last.values()
    assert digest(db_url) == one_shot


def test_only_a_deadlock_makes_a_build_run_again():
    node = transform.NodeResult
    deadlock = node(
        "model.absensi.stg_raw__devices",
        "model",
        "error",
        "Database Error in model stg_raw__devices deadlock detected DETAIL: Process 1 waits for AccessExclusiveLock",
        0.1,
    )
    wrong_sql = node("model.absensi.fct_attendance_daily", "model", "error", 'column "x" does not exist', 0.1)
    failed_test = node("test.absensi.unique_x", "test", "fail", "Got 2 results", 0.1)
    assert transform.deadlocked([wrong_sql, deadlock])
    assert not transform.deadlocked([wrong_sql, failed_test])
    assert not transform.deadlocked([])
