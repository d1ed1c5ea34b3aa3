"""`absensi demo` as a user runs it (a fresh process: Airflow gets its own throwaway home), scaled
down: generate, one device pushing through the ADMS receiver, the others simulated for the pull with
one offline, attendance_hourly through dag.test(), summary."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from warehouse import db
from warehouse.settings import ENV_DATABASE_URL, PROJECT_ROOT


@pytest.mark.slow
def test_demo_end_to_end(pg_server_url, tmp_path):
    name = f"demo_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ABSENSI_"))}
    env.update(ABSENSI_HOME=str(tmp_path / "home"), ABSENSI_DATABASE_URL=pg_server_url, COLUMNS="160")
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "absensi.cli",
                "demo",
                "--employees",
                "40",
                "--devices",
                "4",
                "--push",
                "1",
                "--database",
                name,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds = time.monotonic() - started
        out = proc.stdout
        assert proc.returncode == 0, (out + proc.stderr)[-4000:]
        assert "DAG attendance_hourly: success" in out
        assert "Mesin ditarik: 2 berhasil, 1 gagal (dari 3)" in out
        assert "Mesin push (ADMS): 1 dari 1 terkirim lengkap" in out
        assert "Gerbang mutu: LULUS" in out
        # Issue 13: the offline device's employees wait (MENUNGGU, named), they are not TK.
        assert "MENUNGGU data mesin " in out and "bukan TK" in out
        assert "5 OPD paling disiplin bulan ini" in out and "5 OPD paling kurang disiplin bulan ini" in out
        assert "Traceback" not in out  # the offline device's task log goes to the Airflow log file
        index = tmp_path / "home" / "demo" / "out" / "dashboards" / "index.html"
        assert index.is_file() and str(index) in out
        assert (tmp_path / "home" / "demo" / "airflow-dag-test.log").read_text().count(
            "DevicePullFailed"
        ) >= 1

        with psycopg.connect(db.with_dbname(pg_server_url, name)) as conn:
            punches = conn.execute("select count(*) from raw.device_punch").fetchone()[0]
            daily = conn.execute("select count(*) from marts.fct_attendance_daily").fetchone()[0]
            failed = conn.execute(
                "select count(*) from raw.ingest_batch where kind = 'pull' and status = 'failed'"
            ).fetchone()[0]
            pushed = conn.execute(
                """select count(distinct p.device_sn), count(*) from raw.device_punch p
                    where p.source = 'push'"""
            ).fetchone()
            pulled_push_device = conn.execute(
                """select count(*) from raw.ingest_batch b join raw.device d using (device_sn)
                    where b.kind = 'pull' and d.protocol = 'push'"""
            ).fetchone()[0]
            offline_tk = conn.execute(
                """select count(*) from marts.fct_attendance_daily d
                    join staging.stg_raw__devices v on v.opd_code = d.opd_code
                    join raw.ingest_batch b on b.device_sn = v.device_sn and b.status = 'failed'
                   where d.status = 'TK'"""
            ).fetchone()[0]
            waiting = conn.execute(
                "select count(*) from marts.fct_attendance_daily where pending_devices is not null"
            ).fetchone()[0]
        assert punches > 0 and daily > 0 and failed == 1
        assert offline_tk == 0 and waiting > 0
        assert pushed[0] == 1 and pushed[1] > 0 and pulled_push_device == 0
        assert f"{punches:,} baru di raw.device_punch" in out

        # The next commands it prints use the demo's database, and they work as printed.
        export = next(line.strip() for line in out.splitlines() if "export ABSENSI_DATABASE_URL=" in line)
        printed_url = shlex.split(export.split("=", 1)[1])[0]
        assert db.conninfo_parts(printed_url)["dbname"] == name
        check = next(line.strip() for line in out.splitlines() if " check --month " in line)
        month = check.split("--month ")[1].split()[0]
        env[ENV_DATABASE_URL] = printed_url
        checked = subprocess.run(
            [sys.executable, "-m", "absensi.cli", "check", "--month", month, "--no-docs"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert checked.returncode in (0, 1), checked.stderr  # the gate's verdict, not an error
        assert "Mutu data" in checked.stdout and "mart" not in checked.stderr
        print(f"demo (40 employees, 4 devices, 1 pushing) took {seconds:.0f}s")
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')
