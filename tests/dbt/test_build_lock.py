"""One dbt build per warehouse at a time, whoever starts it (a real PostgreSQL, a real dbt build)."""

from __future__ import annotations

import psycopg
import pytest

from absensi import transform
from tests.conftest import resolved_settings
from warehouse import settings
from warehouse.errors import UserError


def test_a_second_build_waits_then_refuses_naming_the_holder(db_url, monkeypatch):
    monkeypatch.setenv(settings.ENV_TRANSFORM_WAIT, "0.5")
    with psycopg.connect(db_url, autocommit=True, application_name="airflow-hourly") as other:
        other.execute("select pg_advisory_lock(%s)", (transform._WAREHOUSE_LOCK_KEY,))
        with pytest.raises(UserError) as refused:
            transform.run_build(db_url, resolved_settings(), select="int_attendance_window", unit_tests=False)
        message = str(refused.value)
        assert "transformasi lain masih berjalan" in message and "airflow-hourly" in message
        assert f"pid {other.info.backend_pid}" in message
        with psycopg.connect(db_url) as check:
            built = check.execute("select to_regclass('intermediate.int_attendance_window')").fetchone()[0]
        assert built is None  # refused before dbt started

    # the holder is gone: the next build runs, and releases the lock when it ends
    result = transform.run_build(
        db_url, resolved_settings(), select="int_attendance_window", unit_tests=False
    )
    assert result.success and any(n.unique_id.endswith("int_attendance_window") for n in result.nodes)
    with psycopg.connect(db_url, autocommit=True) as after:
        (free,) = after.execute(
            "select pg_try_advisory_lock(%s)", (transform._WAREHOUSE_LOCK_KEY,)
        ).fetchone()
    assert free


def test_a_wait_that_is_not_a_number_is_refused(db_url, monkeypatch):
    monkeypatch.setenv(settings.ENV_TRANSFORM_WAIT, "lama")
    with pytest.raises(UserError, match="ABSENSI_TRANSFORM_WAIT='lama' bukan angka detik"):
        transform.run_build(db_url, resolved_settings(), select="int_attendance_window", unit_tests=False)
