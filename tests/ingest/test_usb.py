"""USB attlog import against a real PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.usb import AttlogError, import_attlog
from tests.ingest.zk_regency import register_serials
from warehouse.errors import UserError

GOOD = (
    "        1\t2026-03-02 07:25:13\t1\t0\t0\t0\n"
    "       17\t2026-03-02 07:31:00\t1\t0\t0\t0\r\n"
    "        1\t2026-03-02 16:05:42\t15\t1\t3\t0\n"
    "      205\t2000-01-01 00:03:10\t1\t0\n"  # battery reset: stored as is, flagged later
    "\n"
)


@pytest.fixture(autouse=True)
def registered(conn, tmp_path):
    """The devices these files come from are registered (import-usb refuses others)."""
    register_serials(conn, tmp_path / "registry", ["A1B2", "DEV1", "DEV2", "REP1", "C3", "D"])


def _punches(conn):
    return conn.execute(
        "select device_sn, device_pin, punch_local, verify_type, punch_state, work_code, source"
        " from raw.device_punch order by device_pin, punch_local"
    ).fetchall()


def test_import_stores_every_punch_once_and_reimport_adds_nothing(conn, tmp_path):
    path = tmp_path / "A1B2_attlog.dat"
    path.write_text(GOOD)
    first = import_attlog(conn, path, "A1B2")
    assert (first.status, first.records_read, first.records_new) == ("ok", 4, 4)
    assert _punches(conn) == [
        ("A1B2", "1", datetime(2026, 3, 2, 7, 25, 13), 1, 0, 0, "usb"),
        ("A1B2", "1", datetime(2026, 3, 2, 16, 5, 42), 15, 1, 3, "usb"),
        ("A1B2", "17", datetime(2026, 3, 2, 7, 31), 1, 0, 0, "usb"),
        ("A1B2", "205", datetime(2000, 1, 1, 0, 3, 10), 1, 0, None, "usb"),
    ]
    second = import_attlog(conn, path, "A1B2")
    assert (second.status, second.records_read, second.records_new) == ("ok", 4, 0)
    assert len(_punches(conn)) == 4
    batches = conn.execute(
        "select batch_id, kind, device_sn, status, records_read, records_new, source_file, content_sha256"
        " from raw.ingest_batch order by batch_id"
    ).fetchall()
    batches = [b for b in batches if b[1] == "usb"]
    assert [b[1:6] for b in batches] == [("usb", "A1B2", "ok", 4, 4), ("usb", "A1B2", "ok", 4, 0)]
    assert batches[0][6] == str(path) and len(batches[0][7]) == 64
    assert {r[0] for r in conn.execute("select batch_id from raw.device_punch")} == {first.batch_id}


def test_same_pin_and_time_on_another_device_is_another_punch(conn, tmp_path):
    path = tmp_path / "x_attlog.dat"
    path.write_text(GOOD)
    import_attlog(conn, path, "DEV1")
    assert import_attlog(conn, path, "DEV2").records_new == 4
    assert len(_punches(conn)) == 8


def test_a_line_repeated_in_the_file_is_stored_once(conn, tmp_path):
    path = tmp_path / "rep_attlog.dat"
    path.write_text(GOOD + "        1\t2026-03-02 07:25:13\t15\t1\t0\t0\n")
    result = import_attlog(conn, path, "REP1")
    assert (result.status, result.records_read, result.records_new) == ("ok", 5, 4)
    assert ("REP1", "1", datetime(2026, 3, 2, 7, 25, 13), 1, 0, 0, "usb") in _punches(conn)  # first wins


def test_malformed_file_is_refused_whole_naming_every_bad_line(conn, tmp_path):
    conn.execute("select 1")
    good = tmp_path / "good_attlog.dat"
    good.write_text(GOOD)
    import_attlog(conn, good, "DEV1")
    path = tmp_path / "bad_attlog.dat"
    path.write_bytes(
        b"1\t2026-03-03 07:00:00\t1\t0\t0\n"
        b"2\t2026-02-30 07:00:00\t1\t0\t0\n"  # no such date
        b"garbage line without tabs\n"
        b"3\t2026-03-03 07:00:00\tx\t0\t0\n"
        b"\t2026-03-03 07:00:00\t1\t0\t0\n"
        b"4\t2026-03-03T07:00:00\t1\t0\t0\n"
        b"5\t2026-03-03 07:00:00\t1\t0\t0\n"
        b"6\t\xff\xfe\n"
        b"7\t2026-03-03 24:00:00\t1\t0\t0\n"
        + "8\t2026-03-03 07:00:0\uff15\t1\t0\t0\n".encode()
        + b"9\t2026-W10-2 07:00:00\t1\t0\t0\n"
    )
    with pytest.raises(AttlogError) as caught:
        import_attlog(conn, path, "DEV1")
    assert isinstance(caught.value, UserError)
    lines = str(caught.value).splitlines()
    assert "ditolak" in lines[-1] and "9 baris" in lines[-1]
    lines = lines[:-1]
    assert [line.split(": ")[0] for line in lines] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 8, 9, 10, 11)]
    assert "waktu" in lines[0] and "kurang kolom" in lines[1] and "verify" in lines[2]
    assert "PIN kosong" in lines[3] and "UTF-8" in lines[5]
    # nothing from the bad file landed; what was there is untouched; the refusal is on record
    assert len(_punches(conn)) == 4
    failed = conn.execute(
        "select device_sn, records_new, error from raw.ingest_batch where status = 'failed' and kind = 'usb'"
    ).fetchall()
    assert len(failed) == 1 and failed[0][:2] == ("DEV1", 0) and f"{path}:2" in failed[0][2]


def test_cli_import_usb(db_url, run_cli, tmp_path):
    path = tmp_path / "C3_attlog.dat"
    path.write_text(GOOD)
    result = run_cli("import-usb", path, "--device", "C3")
    assert result.exit_code == 0, result.output
    assert "4 baru" in result.stdout
    again = run_cli("import-usb", path, "--device", "C3")
    assert again.exit_code == 0 and "0 baru" in again.stdout
    bad = tmp_path / "bad_attlog.dat"
    bad.write_text("1\t2026-13-01 07:00:00\t1\t0\n")
    refused = run_cli("import-usb", bad, "--device", "C3")
    assert refused.exit_code == 2
    assert "Traceback" not in refused.output and f"{bad}:1:" in refused.stderr
    missing = run_cli("import-usb", tmp_path / "nope.dat", "--device", "C3")
    assert missing.exit_code == 2 and "nope.dat" in missing.stderr


def test_concurrent_loads_of_one_device_count_each_punch_once(db_url, tmp_path):
    import threading

    import psycopg

    path = tmp_path / "D_attlog.dat"
    path.write_text(
        "".join(
            f"{100 + i % 40}\t2026-03-{2 + i % 20:02d} 07:{i % 60:02d}:{i % 59:02d}\t1\t0\t0\n"
            for i in range(3000)
        )
    )
    results = []

    def load() -> None:
        with psycopg.connect(db_url) as own:
            results.append(import_attlog(own, path, "D"))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(db_url) as check:
        stored = check.execute("select count(*) from raw.device_punch").fetchone()[0]
    assert sorted(r.records_new for r in results) == [0, 0, 0, stored]
    assert stored == len({(f"{100 + i % 40}", i % 20, i % 60, i % 59) for i in range(3000)})


def _usb_batches(conn):
    return conn.execute(
        "select device_sn, status, records_new, forced_serial from raw.ingest_batch where kind = 'usb' order by batch_id"
    ).fetchall()


def test_unregistered_serial_is_refused_and_says_how_to_register(conn, tmp_path, run_cli):
    path = tmp_path / "AF6P202445782_attlog.dat"
    path.write_text(GOOD)
    with pytest.raises(UserError) as caught:
        import_attlog(conn, path, "NOPE123")
    message = str(caught.value)
    assert (
        "'NOPE123' belum terdaftar" in message and "absensi load devices" in message and str(path) in message
    )
    register_serials(conn, tmp_path / "more", ["AF6P202445782"])
    typo = run_cli("import-usb", path, "--device", "AF6P 202445782")
    assert typo.exit_code == 2 and "Traceback" not in typo.output
    assert "belum terdaftar (maksud Anda 'AF6P202445782'?)" in typo.stderr
    assert _usb_batches(conn) == [] and _punches(conn) == []  # nothing stored, not even a failed batch


def test_file_named_after_another_serial_needs_force_serial_which_is_recorded(conn, tmp_path, run_cli):
    path = tmp_path / "DEV2_attlog.dat"  # a registered device's file ...
    path.write_text(GOOD)
    with pytest.raises(UserError, match="nama berkas menyebut mesin terdaftar 'DEV2', bukan 'DEV1'"):
        import_attlog(conn, path, "DEV1")  # ... offered as another's
    stranger = tmp_path / "AF6P202445782_attlog.dat"  # a serial the registry does not know
    stranger.write_text(GOOD)
    refused = run_cli("import-usb", stranger, "--device", "DEV1")
    assert refused.exit_code == 2 and "nomor seri 'AF6P202445782', bukan 'DEV1'" in refused.stderr
    assert "--force-serial" in refused.stderr and _usb_batches(conn) == []

    forced = run_cli("import-usb", path, "--device", "DEV1", "--force-serial")
    assert forced.exit_code == 0, forced.output
    assert "nama berkas menyebut DEV2" in forced.stdout and "absensi batch retract" in forced.stdout
    assert import_attlog(conn, tmp_path / "DEV2_attlog.dat", "DEV2").records_new == 4  # its own name: fine
    assert _usb_batches(conn) == [("DEV1", "ok", 4, "DEV2"), ("DEV2", "ok", 4, None)]
    machine_number = tmp_path / "1_attlog.dat"  # devices also name files by machine number: no serial
    machine_number.write_text(GOOD)
    assert import_attlog(conn, machine_number, "REP1").records_new == 4


def test_a_backlog_of_old_months_lands_in_each_month_s_own_partition(conn, tmp_path):
    """Issue 21 (migration 0015): a USB backlog of months long past gets those months' partitions
    before it is written; clock resets (2000) and clocks far ahead (2031) stay in the default
    partition, and so does a month that already has rows there."""
    # a month whose rows sit in the default partition already (written before 0015)
    conn.execute(
        "insert into raw.ingest_batch (kind, device_sn, started_at, finished_at, status) "
        "values ('usb', 'DEV2', now(), now(), 'ok')"
    )
    conn.execute(
        """insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state, work_code,
                                         source, batch_id)
           select 'DEV2', '9', '2025-06-10 07:00', 1, 0, 0, 'usb', max(batch_id) from raw.ingest_batch"""
    )
    path = tmp_path / "DEV1_attlog.dat"
    path.write_text(
        "1\t2025-11-03 07:20:00\t1\t0\t0\t0\n"
        "1\t2025-11-28 16:02:00\t1\t1\t0\t0\n"
        "1\t2025-12-01 07:11:00\t1\t0\t0\t0\n"
        "2\t2025-06-11 07:00:00\t1\t0\t0\t0\n"  # its month is in the default partition already
        "3\t2000-01-01 00:00:09\t1\t0\t0\t0\n"  # flat battery
        "4\t2031-05-05 07:00:00\t1\t0\t0\t0\n"  # a clock set years ahead
    )
    assert import_attlog(conn, path, "DEV1").records_new == 6
    where = dict(
        conn.execute(
            "select device_pin || ' ' || to_char(punch_local, 'YYYY-MM'), tableoid::regclass::text"
            " from raw.device_punch where device_sn = 'DEV1'"
        ).fetchall()
    )
    assert where == {
        "1 2025-11": "raw.device_punch_p202511",
        "1 2025-12": "raw.device_punch_p202512",
        "2 2025-06": "raw.device_punch_default",
        "3 2000-01": "raw.device_punch_default",
        "4 2031-05": "raw.device_punch_default",
    }
    assert conn.execute("select to_regclass('raw.device_punch_p202506')").fetchone() == (None,)
    # the new partitions are append-only like the others, and the loaders may create them
    with pytest.raises(Exception, match="append-only"):
        conn.execute("truncate raw.device_punch_p202511")
    assert conn.execute(
        "select has_function_privilege('absensi_ingest', 'raw.ensure_punch_partitions_for(date[])', 'EXECUTE'),"
        " has_function_privilege('absensi_ingest', 'raw.create_punch_partitions(date, date)', 'EXECUTE')"
    ).fetchone() == (True, False)
    # a second import of the same months creates nothing and stores nothing twice
    assert import_attlog(conn, path, "DEV1").records_new == 0
    (made,) = conn.execute("select raw.ensure_punch_partitions_for(array['2025-11-15'::date])").fetchone()
    assert made == 0
