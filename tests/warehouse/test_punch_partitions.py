"""Issue 21: raw.device_punch partitioned by month (migration 0014), applied to a warehouse that
already has a locked month, and the month-by-month full refresh — killed in its second month,
resumed — giving the golden marts (tests/dbt/golden_marts.json: a one-shot full refresh)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import create_database, drop_database, resolved_settings
from tests.dbt.marts_digest import GOLDEN, SCENARIO, _late_data, differences
from warehouse.migrate import migrate
from warehouse.settings import ENV_DATABASE_URL

PUNCHES = """select count(*), md5(string_agg(row(device_sn, device_pin, punch_local, verify_type, punch_state,
                     work_code, source, batch_id, received_at)::text, ',' order by device_sn, punch_local, device_pin))
               from raw.device_punch"""


def _refused(conn: psycopg.Connection, sql: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        conn.execute(sql)
    return str(refused.value)


def _check_partitioned_raw(conn: psycopg.Connection) -> None:
    assert conn.execute(
        "select relkind from pg_class where oid = 'raw.device_punch'::regclass"
    ).fetchone() == ("p",)
    by_partition = dict(
        conn.execute("select tableoid::regclass::text, count(*) from raw.device_punch group by 1").fetchall()
    )
    assert (
        by_partition["raw.device_punch_p202602"] > 10_000
        and by_partition["raw.device_punch_p202603"] > 10_000
    )
    (misplaced,) = conn.execute(
        """select count(*) from raw.device_punch
            where tableoid <> 'raw.device_punch_default'::regclass
              and tableoid::regclass::text <> 'raw.' || raw.punch_partition_name(date_trunc('month', punch_local)::date)"""
    ).fetchone()
    assert misplaced == 0
    # months ahead exist (this month and the next 12), a later call creates nothing twice
    (ahead,) = conn.execute(
        "select to_regclass('raw.' || raw.punch_partition_name((date_trunc('month', localtimestamp)"
        " + interval '12 months')::date)) is not null"
    ).fetchone()
    assert ahead
    assert conn.execute("select raw.ensure_punch_partitions(12)").fetchone() == (0,)

    # append-only on the table and on each partition, the superuser included
    assert "append-only" in _refused(conn, "update raw.device_punch set work_code = 1")
    assert "append-only" in _refused(conn, "delete from raw.device_punch_p202602")
    assert "append-only" in _refused(conn, "truncate raw.device_punch")
    assert "append-only" in _refused(conn, "truncate raw.device_punch_p202603")
    assert "append-only" in _refused(conn, "truncate raw.device_punch_default")
    # grants as before: ingest appends and reads, transform and gate read, nobody rewrites
    privileges = conn.execute(
        """select has_table_privilege('absensi_ingest', 'raw.device_punch', 'INSERT'),
                  has_table_privilege('absensi_ingest', 'raw.device_punch', 'UPDATE'),
                  has_table_privilege('absensi_transform', 'raw.device_punch', 'SELECT'),
                  has_table_privilege('absensi_transform', 'raw.device_punch', 'INSERT'),
                  has_table_privilege('absensi_gate', 'raw.device_punch', 'SELECT'),
                  has_table_privilege('absensi_ingest', 'raw.device_punch_p202602', 'SELECT'),
                  (select pg_get_userbyid(relowner) from pg_class where oid = 'raw.device_punch_p202602'::regclass)"""
    ).fetchone()
    assert privileges == (True, False, True, False, True, False, "absensi_owner")

    # the natural key and the batch check hold across partitions; a new month lands in its own
    # partition (all rolled back: the marts are compared afterwards)
    with conn.transaction(force_rollback=True):
        (batch_id,) = conn.execute(
            "insert into raw.ingest_batch (kind, device_sn, started_at, status) values ('usb', 'X', now(), 'ok')"
            " returning batch_id"
        ).fetchone()
        device_sn, device_pin, punch_local = conn.execute(
            "select device_sn, device_pin, punch_local from raw.device_punch_p202603 limit 1"
        ).fetchone()
        insert = "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id) values (%s, %s, %s, 'usb', %s)"
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(insert, (device_sn, device_pin, punch_local, batch_id))
        with pytest.raises(psycopg.errors.ForeignKeyViolation), conn.transaction():
            conn.execute(insert, ("X", "1", "2026-03-02 07:00", 99999999))
        (next_month,) = conn.execute(
            "select (date_trunc('month', localtimestamp) + interval '1 month 4 days 7 hours')::timestamp"
        ).fetchone()
        (landed,) = conn.execute(
            insert + " returning tableoid::regclass::text", ("X", "1", next_month, batch_id)
        ).fetchone()
        assert landed == f"raw.device_punch_p{next_month:%Y%m}"


@pytest.mark.slow
def test_partition_migration_and_resumed_monthly_refresh_keep_the_golden_marts(
    pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from absensi.edge import resolve
    from absensi.orchestration.hourly import transform as hourly_transform
    from absensi.transform import refresh_by_month, run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    folder = tmp_path / "regency"
    meta = generate(folder, **SCENARIO)
    url = create_database(pg_server_url, "part")
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    try:
        # the warehouse as it was before 0014: built, February locked, late letters rebuilt
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn, until="0013")
            load_generated_regency(conn, folder)
        dbt_vars = {"attendance_start": meta["start"], "attendance_end": meta["end"]}
        run_build(url, resolved_settings(), vars=dbt_vars, full_refresh=True, unit_tests=False)
        _late_data(url, folder, dbt_vars)
        assert differences(expected, url) == []

        with psycopg.connect(url, autocommit=True) as conn:
            before = conn.execute(PUNCHES).fetchone()
            assert conn.execute("select count(*) from ops.month_lock").fetchone() == (1,)
            assert migrate(conn) == ["0014", "0015"]
            assert conn.execute(PUNCHES).fetchone() == before
            # what the dbt views read is the partitioned table (re-created over it, not dropped)
            (view_reads_new,) = conn.execute(
                """select exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                                   where d.refobjid = 'raw.device_punch'::regclass
                                     and r.ev_class = 'staging.stg_raw__device_punches'::regclass)"""
            ).fetchone()
            assert view_reads_new
        # the hourly build after the upgrade: nothing changes
        run_build(url, resolved_settings(), vars=dbt_vars, unit_tests=False)
        assert differences(expected, url) == []

        # `absensi transform --full-refresh` in its own process, killed once March's facts are in
        env = {**os.environ, ENV_DATABASE_URL: url}
        command = [
            sys.executable,
            "-c",
            "from absensi.cli import main; main()",
            "transform",
            "--full-refresh",
            "--vars",
            json.dumps(dbt_vars),
        ]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if "bulan 1/2 (2026-02): mulai" in line:
                    # meanwhile the hourly run is skipped at once, with the reason
                    started = time.monotonic()
                    skipped = hourly_transform(resolve())
                    assert skipped["skipped"] and "hitung ulang penuh" in skipped["reason"], skipped
                    assert time.monotonic() - started < 10
                if "bulan 2/2 (2026-03): mulai" in line:
                    break
            deadline = time.monotonic() + 600
            with psycopg.connect(url, autocommit=True) as conn:
                while time.monotonic() < deadline and proc.poll() is None:
                    if conn.execute(
                        "select count(*) from marts.fct_attendance_daily where work_date >= '2026-03-01'"
                    ).fetchone()[0]:
                        break
                    time.sleep(0.1)
            assert proc.poll() is None, "".join(lines)  # still running: killed in the middle of March
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
        with psycopg.connect(url, autocommit=True) as conn:
            state = conn.execute(
                "select done_through::text, months_done, finished_at from ops.transform_refresh order by refresh_id"
            ).fetchall()
            assert state == [("2026-02-01", 1, None)]
            _check_partitioned_raw(conn)

        phases: list[tuple[str, int]] = []
        result = refresh_by_month(
            url,
            resolved_settings(),
            vars=dbt_vars,
            unit_tests=False,
            on_month=lambda step, phase: phases.append((phase, step.index)),
        )
        assert phases == [("skip", 1), ("start", 2), ("done", 2)]
        assert result.resumed_from == 2 and len(result.builds) == 1
        assert differences(expected, url) == []
        with psycopg.connect(url, autocommit=True) as conn:
            (finished,) = conn.execute(
                "select finished_at is not null from ops.transform_refresh order by refresh_id desc limit 1"
            ).fetchone()
            assert finished
            # the facts are partitioned by month too (dbt/macros/partition_by_month.sql), readers
            # keep their grants on the parent and see no partition
            facts = conn.execute(
                """select (select relkind from pg_class where oid = 'marts.fct_attendance_daily'::regclass),
                          has_table_privilege('absensi_metabase', 'marts.fct_attendance_daily', 'SELECT'),
                          has_schema_privilege('absensi_metabase', 'marts_partitions', 'USAGE')"""
            ).fetchone()
            assert facts == ("p", True, False)
            months = dict(
                conn.execute(
                    """select date_trunc('month', work_date)::date::text, count(distinct tableoid)
                         from marts.fct_attendance_daily group by 1"""
                ).fetchall()
            )
            assert months == {"2026-02-01": 1, "2026-03-01": 1}
            (in_default,) = conn.execute(
                """select count(*) from marts.fct_attendance_daily f join pg_class c on c.oid = f.tableoid
                    where c.relname like 'fct_attendance_daily_default_%'"""
            ).fetchone()
            assert in_default == 0
    finally:
        drop_database(pg_server_url, url)
