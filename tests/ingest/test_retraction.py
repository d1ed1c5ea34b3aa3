"""Batch retraction (ingest.retraction) against a real PostgreSQL: audited, once, append-only."""

from __future__ import annotations

import psycopg
import pytest

from ingest.registry import registered_serials
from ingest.retraction import list_batches, retract_batch
from ingest.usb import import_attlog
from tests.ingest.zk_regency import register_serials
from warehouse.errors import UserError

LINES = "        1\t2026-03-02 07:25:13\t1\t0\t0\t0\n       17\t2026-03-02 16:31:00\t1\t1\t0\t0\n"


@pytest.fixture
def usb_batch(conn, tmp_path) -> int:
    register_serials(conn, tmp_path / "reg", ["DEV1"])
    path = tmp_path / "DEV1_attlog.dat"
    path.write_text(LINES)
    batch_id = import_attlog(conn, path, "DEV1").batch_id
    assert batch_id is not None
    return batch_id


def test_retraction_is_recorded_with_who_when_why_and_only_once(conn, usb_batch):
    done = retract_batch(conn, usb_batch, "  salah nomor   seri saat impor ", requested_by="budi")
    assert (done.batch_id, done.kind, done.device_sn, done.records_new) == (usb_batch, "usb", "DEV1", 2)
    assert done.reason == "salah nomor seri saat impor" and done.requested_by == "budi"
    assert done.retracted_by == conn.execute("select current_user").fetchone()[0]
    assert [m.isoformat() for m in done.punch_months] == ["2026-03-01"] and done.locked_months == ()
    with pytest.raises(
        UserError, match=f"batch {usb_batch} sudah ditarik pada .* salah nomor seri saat impor"
    ):
        retract_batch(conn, usb_batch, "sekali lagi, untuk jaga-jaga")
    # nothing is deleted: the batch and its punches stay in raw
    assert conn.execute(
        "select count(*) from raw.device_punch where batch_id = %s", (usb_batch,)
    ).fetchone() == (2,)
    rows = list_batches(conn, device_sn="DEV1")
    assert [(r.batch_id, r.retraction_reason, r.retracted_by is not None) for r in rows] == [
        (usb_batch, "salah nomor seri saat impor", True)
    ]


def test_bad_retractions_are_one_line_errors_and_change_nothing(conn, usb_batch, tmp_path):
    with pytest.raises(UserError, match="alasan penarikan wajib diisi"):
        retract_batch(conn, usb_batch, "salah")
    with pytest.raises(UserError, match="batch 999999 tidak ada"):
        retract_batch(conn, 999999, "batch yang tidak ada")
    bad = tmp_path / "bad_attlog.dat"
    bad.write_text("1\t2026-13-01 07:00:00\t1\t0\n")
    with pytest.raises(UserError):
        import_attlog(conn, bad, "DEV1")
    failed = conn.execute("select max(batch_id) from raw.ingest_batch where status = 'failed'").fetchone()[0]
    with pytest.raises(UserError, match=f"batch {failed} gagal dimuat .*tidak perlu ditarik"):
        retract_batch(conn, failed, "berkas rusak dari flashdisk")
    assert conn.execute("select count(*) from raw.batch_retraction").fetchone() == (0,)


def test_retractions_are_append_only(conn, usb_batch):
    retract_batch(conn, usb_batch, "salah nomor seri saat impor")
    conn.commit()
    for statement in (
        "update raw.batch_retraction set reason = 'diubah diam-diam'",
        "delete from raw.batch_retraction",
        "truncate raw.batch_retraction",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
        conn.rollback()


def test_a_retracted_registry_batch_no_longer_registers_its_devices(conn, tmp_path):
    register_serials(conn, tmp_path / "a", ["GOOD1"])
    register_serials(conn, tmp_path / "b", ["TYPO1"])  # a devices file with a typo
    typo_batch = conn.execute("select max(batch_id) from raw.ingest_batch where kind = 'devices'").fetchone()[
        0
    ]
    assert {"GOOD1", "TYPO1"} <= registered_serials(conn)
    retract_batch(conn, typo_batch, "devices.csv berisi nomor seri salah ketik")
    assert registered_serials(conn) == {"GOOD1"}
    path = tmp_path / "x_attlog.dat"
    path.write_text(LINES)
    with pytest.raises(UserError, match="'TYPO1' belum terdaftar"):
        import_attlog(conn, path, "TYPO1")


def test_cli_batch_list_and_retract(conn, usb_batch, run_cli):
    shown = run_cli("batch", "list", "--device", "DEV1")
    assert shown.exit_code == 0, shown.output
    assert str(usb_batch) in shown.stdout and "DITARIK" not in shown.stdout
    short = run_cli("batch", "retract", str(usb_batch), "--reason", "salah")
    assert short.exit_code == 2 and "Traceback" not in short.output and "minimal 10 huruf" in short.stderr
    done = run_cli("batch", "retract", str(usb_batch), "--reason", "salah nomor seri saat impor")
    assert done.exit_code == 0, done.output
    assert f"Batch {usb_batch} (usb, mesin DEV1, 2 catatan baru) ditarik oleh" in done.stdout
    assert "absensi transform" in done.stdout
    shown = run_cli("batch", "list")
    assert "DITARIK" in shown.stdout and "salah nomor seri saat impor" in shown.stdout
