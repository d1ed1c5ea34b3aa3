"""Raw and operations suites: faults arrive the way they would in the field and the gate names them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from expectations.gate import decide
from expectations.runner import run_checks
from ingest.retraction import retract_batch
from ingest.usb import import_attlog
from tests.expectations.warehouse import EMPLOYEES, WINDOW, attlog
from tests.ingest.zk_regency import store_unchecked_usb_batch
from warehouse.settings import DEFAULT_TIMEZONE as TZ


def _check(url: str, *suites: str):
    run = run_checks(url, dt.date(2025, 6, 1), timezone=TZ, window=WINDOW, suites=suites or None)
    return run, decide(run)


def _batch(conn: psycopg.Connection, read: int, new: int, device: str = "DEVA001") -> int:
    """A batch row as a broken loader would write it (the raw tables accept any counts >= 0)."""
    return conn.execute(
        "insert into raw.ingest_batch (kind, device_sn, started_at, status, records_read, records_new) "
        "values ('usb', %s, now(), 'ok', %s, %s) returning batch_id",
        (device, read, new),
    ).fetchone()[0]


def test_clean_regency_passes_and_is_stored(
    raw_conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    run = run_checks(db_url, dt.date(2025, 6, 1), timezone=TZ, window=WINDOW, docs_dir=docs)
    decision = decide(run)
    assert decision.publishable, decision.reasons
    assert decision.warnings == []
    assert {o.suite for o in run.outcomes} == {"raw", "marts", "operations"}
    assert (docs / "index.html").is_file()
    assert list((docs / "validations").rglob("*.html")), "data docs hold the validation pages"
    stored = raw_conn.execute(
        "select r.publishable, r.expectations, r.month, count(x.*) filter (where x.success) "
        "from quality.run r join quality.result x using (run_id) where r.run_id = %s group by 1, 2, 3",
        (run.run_id,),
    ).fetchone()
    assert stored == (True, len(run.outcomes), dt.date(2025, 6, 1), len(run.outcomes))


def test_punches_from_unregistered_device_block(
    raw_conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    # Punches of a machine nobody registered (loaded before import-usb checked serials).
    path = attlog(tmp_path, "GHOST9_attlog.dat", ["      101\t2025-06-04 07:20:00\t1\t0\t0\t0"])
    batch_id = store_unchecked_usb_batch(raw_conn, path, "GHOST9")
    run, decision = _check(db_url, "raw")
    assert not decision.publishable
    outcome = run.outcome("raw", "punch_device_registered")
    assert not outcome.success and outcome.failing_rows[0]["device_sn"] == "GHOST9"
    assert any("punch_device_registered" in r and "device_sn=GHOST9" in r for r in decision.reasons)
    # The reason names the blocking batch and the way out.
    reason = next(r for r in decision.reasons if "punch_device_registered" in r)
    assert (
        f"batch_id={batch_id}" in reason
        and f'perintah=absensi batch retract {batch_id} --reason "…"' in reason
    )
    assert "absensi load devices" in reason

    # Retracted, the batch stops counting and the gate opens; raw still holds every row of it.
    retract_batch(raw_conn, batch_id, "flashdisk mesin tak dikenal, salah impor", requested_by="operator")
    run, decision = _check(db_url, "raw")
    assert run.outcome("raw", "punch_device_registered").success and decision.publishable, decision.reasons
    assert raw_conn.execute(
        "select count(*) from raw.device_punch where batch_id = %s", (batch_id,)
    ).fetchone() == (1,)


def test_reset_clock_blocks_until_quarantined(
    raw_conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    # The device lost its battery: its clock restarted at 2000-01-01.
    path = attlog(tmp_path, "DEVA001_reset_attlog.dat", ["      102\t2000-01-01 00:03:12\t1\t0\t0\t0"])
    import_attlog(raw_conn, path, "DEVA001")
    run, decision = _check(db_url, "raw")
    assert not decision.publishable
    reason = next(r for r in decision.reasons if "punch_time_in_range_or_quarantined" in r)
    assert "device_sn=DEVA001" in reason and "device_pin=102" in reason and "2000-01-01" in reason

    # Once the quarantine view lists it, the punch is accounted for and the gate opens.
    raw_conn.execute(
        "create view marts.q_punch_clock_out_of_range as select device_sn, device_pin, punch_local "
        "from raw.device_punch where punch_local < date '2010-01-01' or punch_local > now() + interval '1 day'"
    )
    run, decision = _check(db_url, "raw")
    assert run.outcome("raw", "punch_time_in_range_or_quarantined").success
    assert decision.publishable, decision.reasons


def test_future_punch_blocks(raw_conn: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    future = dt.date.today() + dt.timedelta(days=40)
    import_attlog(
        raw_conn, attlog(tmp_path, "f_attlog.dat", [f"      201\t{future} 07:00:00\t1\t0\t0\t0"]), "DEVB002"
    )
    run, decision = _check(db_url, "raw")
    assert not run.outcome("raw", "punch_time_in_range_or_quarantined").success
    assert any(str(future) in r and "device_pin=201" in r for r in decision.reasons)


def test_blank_pin_blocks(raw_conn: psycopg.Connection, db_url: str) -> None:
    # The USB parser refuses blank PINs; a faulty loader writing straight to raw must still be caught.
    batch = _batch(raw_conn, 1, 1)
    raw_conn.execute(
        "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id) "
        "values ('DEVA001', '  ', '2025-06-04 07:10:00', 'usb', %s)",
        (batch,),
    )
    raw_conn.execute(
        "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id) "
        "values ('', '101', '2025-06-04 07:11:00', 'usb', %s)",
        (batch,),
    )
    run, decision = _check(db_url, "raw")
    assert not decision.publishable
    outcome = run.outcome("raw", "punch_pin_and_serial_not_blank")
    assert sorted(outcome.failing_rows, key=lambda r: r["punch_local"]) == [
        {"device_sn": "DEVA001", "device_pin": "  ", "punch_local": "2025-06-04T07:10:00", "batch_id": batch},
        {"device_sn": "", "device_pin": "101", "punch_local": "2025-06-04T07:11:00", "batch_id": batch},
    ]


def test_batch_counting_more_new_than_read_blocks(raw_conn: psycopg.Connection, db_url: str) -> None:
    batch = _batch(raw_conn, 3, 5)
    run, decision = _check(db_url, "raw")
    assert not decision.publishable
    outcome = run.outcome("raw", "batch_new_not_above_read")
    assert [r["batch_id"] for r in outcome.failing_rows] == [batch]
    assert any(f"batch_id={batch}" in r for r in decision.reasons)


def test_operations_warn_but_never_block(raw_conn: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    # DEVB002 answered a pull 7 minutes fast; a third device was registered but never heard from.
    raw_conn.execute(
        "insert into raw.ingest_batch (kind, device_sn, started_at, status, records_read, records_new, "
        "clock_skew_seconds) values ('pull', 'DEVB002', now(), 'ok', 0, 0, 420)"
    )
    from ingest.reference import load_reference_file

    devices = tmp_path / "devices.csv"
    devices.write_text(
        "device_sn,nama,opd_code,host,port,protocol,timezone\nDEVC003,Baru,KEC01,10.0.0.9,4370,udp,\n"
    )
    load_reference_file(raw_conn, "devices", devices)
    run, decision = _check(db_url)
    assert decision.publishable, decision.reasons
    assert not run.outcome("operations", "device_clock_skew").success
    assert not run.outcome("operations", "device_silent").success
    assert any("DEVB002" in w and "420" in w for w in decision.warnings)
    assert any("device_silent" in w and "DEVC003" in w for w in decision.warnings)
    assert all(o.severity == "warning" for o in run.outcomes if o.suite == "operations")


def test_growing_quarantine_warns(raw_conn: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    raw_conn.execute(
        "create view marts.q_unknown_pin as select p.device_sn, p.device_pin, p.punch_local from raw.device_punch p "
        "where not exists (select 1 from raw.employee_pin e where e.device_pin = p.device_pin)"
    )
    first, _ = _check(db_url, "operations")
    assert first.quarantine_counts == {"marts.q_unknown_pin": 0}
    assert first.outcome("operations", "quarantine_growing").success
    import_attlog(
        raw_conn, attlog(tmp_path, "u_attlog.dat", ["      999\t2025-06-04 07:00:00\t1\t0\t0\t0"]), "DEVA001"
    )
    second, decision = _check(db_url, "operations")
    assert decision.publishable
    assert not second.outcome("operations", "quarantine_growing").success
    assert any("q_unknown_pin" in w and "row_count=1" in w for w in decision.warnings)


def test_locked_month_is_not_compared_with_a_later_reference(
    raw_conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    from ingest.reference import load_reference_file

    e1 = EMPLOYEES[0]
    # SIMPEG later says E1 left on 4 June: an open June must lose her rows from the 5th on ...
    late = tmp_path / "employees_late.csv"
    late.write_text(
        "nip,nama,jenis_pegawai,golongan,jabatan,kelas_jabatan,opd_code,tunjangan_pokok,aktif_mulai,aktif_sampai\n"
        f"{e1.nip},Pegawai 0,{e1.jenis},III/a,Staf,7,{e1.opd},{e1.base},{e1.start},2025-06-04\n"
    )
    load_reference_file(raw_conn, "employees", late)
    run, decision = _check(db_url, "marts")
    assert not decision.publishable
    assert any(
        "daily_only_scheduled_workdays" in r and f"nip={e1.nip}, work_date=2025-06-05" in r
        for r in decision.reasons
    )
    # ... but once June is closed its rows are what was paid; the difference becomes an adjustment.
    raw_conn.execute("insert into ops.month_lock (month) values ('2025-06-01')")
    run, decision = _check(db_url, "marts")
    assert run.outcome("marts", "daily_only_scheduled_workdays").success
    assert decision.publishable, decision.reasons
