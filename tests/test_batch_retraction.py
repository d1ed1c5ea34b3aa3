"""End to end, as an operator types it: a wrong-serial import wedges the close, `absensi batch
retract` gets the warehouse out, the next `absensi close-month` passes, and the retraction shows in
the device-health and batch views. A batch that fed a month already locked, retracted afterwards,
becomes adjustments: the paid month does not move, and the incremental result equals a full rebuild."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from ingest.folder import load_generated_regency
from ingest.generator import generate
from tests.ingest.zk_regency import store_unchecked_usb_batch

MONTH = date(2026, 10, 1)
TYPO = "AF6P 202445782"  # the serial as it was typed, with a space


def _rows(conn, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def _october(conn) -> tuple[list[tuple], list[tuple]]:
    daily = _rows(
        conn,
        "select * from marts.fct_attendance_daily where work_date >= %s and work_date < %s order by nip, work_date",
        MONTH,
        date(2026, 11, 1),
    )
    monthly = _rows(
        conn, "select * from marts.fct_allowance_deduction_monthly where month = %s order by nip", MONTH
    )
    return daily, monthly


@pytest.mark.slow
def test_wrong_serial_import_is_retracted_and_the_next_close_passes(
    db_url, conn, run_cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    folder = tmp_path / "regency"
    generate(folder, employees=24, devices=2, start=MONTH, days=31, seed=5)
    with psycopg.connect(db_url, autocommit=True) as own:
        load_generated_regency(own, folder)
    serial = _rows(conn, "select min(device_sn) from raw.device where device_sn is not null")[0][0]
    flash = tmp_path / "AF6P202445782_attlog.dat"
    flash.write_text("".join((folder / "attlog" / f"{serial}_attlog.dat").read_text().splitlines(True)[:50]))

    # Today the typo is refused at the door, naming how to register the device ...
    refused = run_cli("import-usb", flash, "--device", TYPO)
    assert (
        refused.exit_code == 2
        and "belum terdaftar" in refused.stderr
        and "absensi load devices" in refused.stderr
    )
    # ... but a warehouse can hold such a batch from before that check: the close is blocked.
    typo_batch = store_unchecked_usb_batch(conn, flash, TYPO)
    conn.commit()
    blocked = run_cli("close-month", "2026-10")
    assert blocked.exit_code == 2 and "Traceback" not in blocked.output
    assert "punch_device_registered" in blocked.stderr and f"device_sn={TYPO}" in blocked.stderr
    assert f"absensi batch retract {typo_batch} --reason" in blocked.stderr
    assert _rows(conn, "select count(*) from ops.month_lock") == [(0,)]

    reason = "salah ketik nomor seri saat impor USB"
    retracted = run_cli("batch", "retract", str(typo_batch), "--reason", reason)
    assert retracted.exit_code == 0, retracted.output
    closed = run_cli("close-month", "2026-10")
    assert closed.exit_code == 0, closed.output
    assert "gerbang mutu lolos" in closed.stdout
    assert _rows(conn, "select month from ops.month_lock") == [(MONTH,)]

    # The retraction is visible where operators look: device health, the batch view, `batch list`.
    health = _rows(
        conn,
        "select retracted_batches, last_retracted_batch_id, last_retraction_reason, last_batch_status,"
        " last_success_at from marts.mart_device_health where device_sn = %s",
        TYPO,
    )
    assert health == [(1, typo_batch, reason, "retracted", None)]
    batch = _rows(
        conn,
        "select state, is_counted, retraction_reason, retracted_by is not null, records_new"
        " from marts.mart_ingest_batch where batch_id = %s",
        typo_batch,
    )
    assert batch == [("retracted", False, reason, True, 50)]
    listed = run_cli("batch", "list", "--device", TYPO)
    assert f"batch {typo_batch} DITARIK" in listed.stdout and reason in listed.stdout
    assert _rows(conn, "select count(*) from raw.device_punch where batch_id = %s", typo_batch) == [(50,)]

    # A batch that fed the locked month is retracted afterwards: adjustments, never a silent rewrite.
    # The device was read again later (a second file copied off it in November), so its October stays
    # known and the retracted punches simply no longer count (issue 13: without a later read its days
    # would be unknown again, and an unknown day corrects nothing).
    again = tmp_path / f"{serial}_attlog.dat"
    again.write_text((folder / "attlog" / f"{serial}_attlog.dat").read_text().splitlines(True)[0])
    reread = run_cli("import-usb", again, "--device", serial, "--exported-at", "2026-11-02 07:00")
    assert reread.exit_code == 0, reread.output
    paid = _october(conn)
    fed = _rows(
        conn,
        "select batch_id from raw.ingest_batch where kind = 'usb' and device_sn = %s and records_new > 0",
        serial,
    )[0][0]
    taken_back = run_cli("batch", "retract", str(fed), "--reason", "flashdisk ini ternyata dari mesin lain")
    assert taken_back.exit_code == 0, taken_back.output
    assert "Bulan terkunci 2026-10" in taken_back.stdout
    assert run_cli("transform").exit_code == 0  # what the next hourly run does (incremental)
    assert _october(conn) == paid
    incremental = _rows(
        conn,
        "select nip, month, corrected_month, adjustment_amount, reason from marts.fct_allowance_adjustment"
        " order by nip, corrected_month",
    )
    assert incremental and {r[2] for r in incremental} == {MONTH}
    assert all(r[3] > 0 for r in incremental)  # the device's punches no longer count: more deduction
    assert _rows(conn, "select count(*) from ops.locked_deduction_monthly where month = %s", MONTH)[0][0] > 0

    # The incremental run recomputed exactly what a full rebuild computes.
    assert run_cli("transform", "--full-refresh").exit_code == 0
    assert _october(conn) == paid
    assert (
        _rows(
            conn,
            "select nip, month, corrected_month, adjustment_amount, reason from marts.fct_allowance_adjustment"
            " order by nip, corrected_month",
        )
        == incremental
    )
