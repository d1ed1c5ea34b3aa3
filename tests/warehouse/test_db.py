import psycopg
import pytest

from warehouse.migrate import migrate


def test_migrate_is_recorded_and_rerun_is_noop(db_url, run_cli):
    with psycopg.connect(db_url) as conn:
        assert migrate(conn) == []
        versions = [r[0] for r in conn.execute("select version from schema_migrations order by 1")]
    assert versions[:2] == ["0001", "0002"]
    result = run_cli("db", "migrate")
    assert result.exit_code == 0, result.output
    assert "tidak ada migrasi baru" in result.stdout


def test_fresh_database_migrates_via_cli(empty_db_url, run_cli, monkeypatch):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", empty_db_url)
    result = run_cli("db", "migrate")
    assert result.exit_code == 0, result.output
    assert "0001" in result.stdout
    with psycopg.connect(empty_db_url) as conn:
        tables = {
            r[0]
            for r in conn.execute("select table_name from information_schema.tables where table_schema='raw'")
        }
    assert {"device_punch", "ingest_batch", "employee", "leave", "device", "opd", "employee_pin"} <= tables


def test_unreachable_database_url_is_one_clear_line(run_cli, monkeypatch):
    monkeypatch.setenv("ABSENSI_DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/nowhere")
    result = run_cli("db", "migrate")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Tidak dapat terhubung" in lines[0] and "secret" not in lines[0]


def test_db_up_reports_external_server(db_url, run_cli):
    result = run_cli("db", "up")
    assert result.exit_code == 0
    assert "ABSENSI_DATABASE_URL" in result.stdout


@pytest.mark.parametrize(
    "statement",
    [
        "update raw.ingest_batch set status = 'failed'",
        "delete from raw.ingest_batch",
        "truncate raw.ingest_batch cascade",
    ],
)
def test_raw_is_append_only_even_for_owner(conn, statement):
    conn.execute("insert into raw.ingest_batch (kind, started_at, status) values ('opd', now(), 'ok')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)
    assert conn.execute("select count(*) from raw.ingest_batch").fetchone()[0] == 1


def test_roles_have_least_privilege(conn):
    conn.execute("insert into raw.ingest_batch (kind, started_at, status) values ('opd', now(), 'ok')")
    conn.execute("create table marts.some_mart (x int)")
    conn.execute("insert into marts.some_mart values (1)")
    with conn.transaction():
        conn.execute("set local role absensi_ingest")
        conn.execute("insert into raw.ingest_batch (kind, started_at, status) values ('opd', now(), 'ok')")
    for role in ("absensi_analyst", "absensi_metabase", "absensi_finance"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(f"set local role {role}")
            conn.execute("select * from raw.device_punch")
    for role in ("absensi_analyst", "absensi_metabase"):
        with conn.transaction():
            conn.execute(f"set local role {role}")
            assert conn.execute("select x from marts.some_mart").fetchone() == (1,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("set local role absensi_finance")
        conn.execute("select x from marts.some_mart")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("set local role absensi_ingest")
        conn.execute("delete from raw.ingest_batch")


def test_usage_errors_have_no_traceback(run_cli):
    result = run_cli("no-such-command")
    assert result.exit_code == 2
    assert "perintah 'no-such-command' tidak dikenal" in result.stderr and "Traceback" not in result.output


SECRET = "s3cret-pw"


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql://absensi:{SECRET}@db:5432/absensi",
        f"postgresql://absensi:{SECRET}@db:5432/absensi?sslmode=require",
        f"postgres://absensi:p@{SECRET}@db/absensi",  # an unencoded @ in the secret
        f"postgresql://absensi@db/absensi?password={SECRET}",
        f"postgresql://absensi@db/absensi?sslmode=require&password={SECRET}&application_name=x",
        f"postgresql:///absensi?host=/tmp&PASSWORD={SECRET}",
        f"host=db port=5432 user=absensi password={SECRET} dbname=absensi",
        f"host=db password = {SECRET} dbname=absensi",
        f"host=db password='{SECRET} with spaces' dbname=absensi",
        f"gagal: koneksi ke postgresql://absensi:{SECRET}@db/absensi ditolak (dsn: user=x password={SECRET})",
    ],
)
def test_redact_hides_the_password_in_every_form(text):
    from warehouse.db import redact

    shown = redact(text)
    assert SECRET not in shown and "***" in shown
    assert "absensi" in shown  # the rest of it stays readable


def test_redact_leaves_a_url_without_password_alone():
    from warehouse.db import redact

    for url in (
        "postgresql://postgres@/absensi?host=/tmp/x&port=5433",
        "postgresql://postgres:@/absensi?host=/s",
    ):
        assert redact(url) == url


def test_db_url_hides_the_password_unless_asked(run_cli, monkeypatch, db_url):
    from warehouse.db import conninfo_parts

    parts = conninfo_parts(db_url)
    with_password = (
        f"postgresql://{parts['user']}:{SECRET}@/{parts['dbname']}?host={parts['host']}&port={parts['port']}"
    )
    monkeypatch.setenv("ABSENSI_DATABASE_URL", with_password)
    shown = run_cli("db", "url")
    assert shown.exit_code == 0 and SECRET not in shown.output and "***" in shown.stdout
    revealed = run_cli("db", "url", "--show-password")
    assert revealed.exit_code == 0 and revealed.stdout.strip() == with_password
