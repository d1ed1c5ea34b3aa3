"""A device registry row names the environment variable of its comm key; it must not be able to
name any other secret of the environment (ABSENSI_DATABASE_URL, AIRFLOW__…, METABASE_API_KEY)."""

from __future__ import annotations

import pytest

from ingest.reference import ReferenceFileError, load_reference_file

HEADER = "device_sn,nama,opd_code,host,port,protocol,timezone,comm_key_ref,active\n"


@pytest.fixture
def with_opd(conn, tmp_path):
    (tmp_path / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n")
    load_reference_file(conn, "opd", tmp_path / "opd.csv")
    return conn


@pytest.mark.parametrize(
    "ref", ["ABSENSI_DATABASE_URL", "METABASE_API_KEY", "AIRFLOW__CORE__FERNET_KEY", "absensi_commkey_a1"]
)
def test_a_comm_key_ref_naming_another_variable_is_a_row_error(with_opd, tmp_path, run_cli, ref):
    path = tmp_path / "devices.csv"
    path.write_text(HEADER + f"A1,A,OPD01,10.0.0.1,4370,tcp,,{ref},ya\n")
    result = run_cli("load", "devices", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}:2: comm_key_ref: harus nama variabel lingkungan ABSENSI_COMMKEY_" in result.stderr
    assert with_opd.execute("select count(*) from raw.device").fetchone()[0] == 0


def test_the_database_refuses_a_comm_key_ref_the_loader_would_refuse(with_opd):
    """Migration 0009's check: a row written around the loader cannot name another variable either."""
    import psycopg

    batch = with_opd.execute(
        "insert into raw.ingest_batch (kind, started_at, status) values ('devices', now(), 'ok') returning batch_id"
    ).fetchone()[0]
    with pytest.raises(psycopg.errors.CheckViolation):
        with_opd.execute(
            "insert into raw.device (batch_id, row_no, device_sn, name, opd_code, host, port, protocol, comm_key_ref)"
            " values (%s, 1, 'A1', 'A', 'OPD01', 'h', 4370, 'tcp', 'ABSENSI_DATABASE_URL')",
            (batch,),
        )


def test_a_comm_key_variable_loads(with_opd, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(HEADER + "A1,A,OPD01,10.0.0.1,4370,tcp,,ABSENSI_COMMKEY_GEDUNG_A,ya\n")
    load_reference_file(with_opd, "devices", path)
    assert with_opd.execute("select comm_key_ref from raw.device").fetchone() == ("ABSENSI_COMMKEY_GEDUNG_A",)
    with pytest.raises(ReferenceFileError):
        path.write_text(HEADER + "A1,A,OPD01,10.0.0.1,4370,tcp,,PATH,ya\n")
        load_reference_file(with_opd, "devices", path)
