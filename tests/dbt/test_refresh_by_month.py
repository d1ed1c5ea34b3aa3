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
