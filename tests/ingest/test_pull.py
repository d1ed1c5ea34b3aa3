"""Pulls from simulated devices (real sockets, unmodified pyzk) into a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from ingest.pull import pull_device, pull_devices
from ingest.registry import active_devices
from ingest.simulator import serve_regency
from tests.conftest import resolved_settings
from tests.ingest.zk_regency import make_records, register_devices, stored_punches, write_regency
from warehouse.errors import UserError
from warehouse.settings import DEFAULT_TIMEZONE as TZ


def _batches(conn):
    return conn.execute(
        "select device_sn, status, records_read, records_new, clock_skew_seconds, error"
        " from raw.ingest_batch where kind = 'pull' order by batch_id"
    ).fetchall()


def test_pull_every_device_exactly_once_then_repull_adds_nothing(conn, db_url, tmp_path, monkeypatch):
    devices = {
        "TCP1": make_records(3000, seed=1),
        "UDP1": make_records(1500, seed=2),
        "KEY1": make_records(40, seed=3),
    }
    folder = write_regency(tmp_path / "r", devices, protocols={"UDP1": "udp"})
    (folder / "pins.csv").write_text("nip,device_pin,device_sn\nx,1001,\n", encoding="utf-8")
    monkeypatch.setenv("ABSENSI_COMMKEY_KEY1", "4242")
    overrides = {
        "TCP1": {"clock_offset": 125.0, "att_format": 16},
        "UDP1": {"att_format": 8, "user_format": 28},
    }
    with serve_regency(
        folder, free_ports=True, overrides=overrides, key_env=resolved_settings().comm_keys
    ) as sim:
        assert sim.devices["KEY1"].spec.comm_key == 4242  # the simulator reads the same variable
        register_devices(conn, sim, folder, tmp_path)
        assert [d.device_sn for d in active_devices(conn, TZ)] == ["KEY1", "TCP1", "UDP1"]
        results = pull_devices(db_url, resolved_settings(pull_timeout=5), max_workers=3)
        assert [(r.device_sn, r.status, r.records_read, r.records_new) for r in results] == [
            ("KEY1", "ok", 40, 40),
            ("TCP1", "ok", 3000, 3000),
            ("UDP1", "ok", 1500, 1500),
        ]
        for serial, records in devices.items():
            assert stored_punches(conn, serial) == sorted(
                [(p, t, v, s, None if serial == "UDP1" else w) for p, t, v, s, w in records],
                key=lambda r: (r[1], r[0]),
            )  # the 8-byte format carries no work code
        skew = {r.device_sn: r.clock_skew_seconds for r in results}
        assert 122 <= skew["TCP1"] <= 128 and abs(skew["KEY1"]) <= 3
        users = conn.execute("select device_sn, device_pin from raw.device_user order by 1").fetchall()
        assert users == [("KEY1", "1001"), ("TCP1", "1001"), ("UDP1", "1001")]

        again = pull_devices(db_url, resolved_settings(pull_timeout=5))
        assert [(r.status, r.records_new) for r in again] == [("ok", 0)] * 3
        assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 4540

        # a new punch on one device arrives with the next pull, and only it
        sim.devices["TCP1"].add_punch("1007", "2026-06-01 07:21:09", 1, 0, 0)
        assert pull_device(db_url, "TCP1", resolved_settings(pull_timeout=5)).records_new == 1
    rows = _batches(conn)
    assert len(rows) == 7 and all(r[1] == "ok" and r[5] is None for r in rows)


def test_faulty_devices_fail_only_their_own_batch(conn, db_url, tmp_path):
    names = ["GOOD1", "OFF1", "STALL1", "LOSSY1", "DROPS1", "WRONGSN", "SLOW1", "JUNK1"]
    devices = {sn: make_records(1200, seed=i) for i, sn in enumerate(names)}
    protocols = {"LOSSY1": "udp", "DROPS1": "udp"}
    folder = write_regency(tmp_path / "r", devices, protocols=protocols)
    faults = {
        "OFF1": "offline",
        "STALL1": "stall",
        "LOSSY1": "drop_chunk=1",
        "DROPS1": "drop_chunk=99",
        "SLOW1": "latency=0.03",
        "JUNK1": "garbage",
    }
    with serve_regency(folder, faults=faults, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        # WRONGSN's address now answers as another machine (a swapped IP): refuse, don't misfile
        sim.devices["WRONGSN"].spec.serial = "SOMEONE-ELSE"
        results = {
            r.device_sn: r for r in pull_devices(db_url, resolved_settings(pull_timeout=1.5), max_workers=4)
        }
    assert {sn for sn, r in results.items() if r.ok} == {"GOOD1", "SLOW1", "LOSSY1"}
    assert results["STALL1"].seconds < 6  # the timeout, not the timeout again for every goodbye
    assert results["LOSSY1"].records_new == 1200  # a lost datagram is read again, nothing missing
    assert "SOMEONE-ELSE" in results["WRONGSN"].error
    assert "tidak lengkap" in results["DROPS1"].error
    assert "timed out" in results["STALL1"].error.lower()
    assert "rusak" in results["JUNK1"].error and "2026-02-31" in results["JUNK1"].error
    for sn in ("OFF1", "STALL1", "DROPS1", "WRONGSN", "JUNK1"):
        assert results[sn].status == "failed" and sn in results[sn].error
        assert stored_punches(conn, sn) == []  # nothing partial
    failed = conn.execute(
        "select device_sn from raw.ingest_batch where status = 'failed' and kind = 'pull' order by 1"
    ).fetchall()
    assert [r[0] for r in failed] == ["DROPS1", "JUNK1", "OFF1", "STALL1", "WRONGSN"]
    assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 3 * 1200


def test_one_hundred_thousand_records_over_tcp(conn, db_url, tmp_path):
    records = make_records(100_000, seed=11, pins=900)
    folder = write_regency(tmp_path / "r", {"BIG1": records})
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        result = pull_device(db_url, "BIG1", resolved_settings(pull_timeout=10))
        assert (result.status, result.records_read, result.records_new) == ("ok", 100_000, 100_000)
        assert stored_punches(conn, "BIG1") == sorted(records, key=lambda r: (r[1], r[0]))
        assert pull_device(db_url, "BIG1", resolved_settings(pull_timeout=10)).records_new == 0


def test_a_punch_logged_twice_is_stored_once_on_the_first_pull_and_after(conn, db_url, tmp_path):
    records = make_records(300, seed=21)
    folder = write_regency(tmp_path / "r", {"DUP1": records})
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        device = sim.devices["DUP1"]
        pin, when, *_ = records[0]
        device.add_punch(pin, when, 15, 1, 0)  # the same finger twice in one second: the first wins
        device.add_punch("A\\7", "2026-03-03 07:00:00", 1, 0, 0)  # a backslash survives COPY text
        register_devices(conn, sim, folder, tmp_path)
        first = pull_device(db_url, "DUP1", resolved_settings(pull_timeout=5))
        assert (first.status, first.records_read, first.records_new) == ("ok", 302, 301)
        stored = stored_punches(conn, "DUP1")
        assert stored == sorted(
            [*records, ("A\\7", "2026-03-03 07:00:00", 1, 0, 0)], key=lambda r: (r[1], r[0])
        )

        # later pulls go through the anti-join: repeats within the read and of stored punches
        for _ in range(2):
            device.add_punch("1001", "2026-06-01 07:00:00", 1, 0, 0)
        device.add_punch(pin, when, 1, 0, 0)
        again = pull_device(db_url, "DUP1", resolved_settings(pull_timeout=5))
        assert (again.status, again.records_read, again.records_new) == ("ok", 305, 1)
    assert len(stored_punches(conn, "DUP1")) == 302


def test_clock_reset_device_punches_are_stored_not_dropped(conn, db_url, tmp_path):
    records = make_records(30, seed=5) + [("1003", "2000-01-01 00:04:11", 1, 0, 0)]
    folder = write_regency(tmp_path / "r", {"RESET1": records})
    with serve_regency(folder, faults={"RESET1": "clock_reset"}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        result = pull_device(db_url, "RESET1", resolved_settings(pull_timeout=5))
    assert result.ok and result.records_new == 31
    assert result.clock_skew_seconds < -20 * 365 * 86400 and result.device_time.year == 2000
    assert ("1003", "2000-01-01 00:04:11", 1, 0, 0) in stored_punches(conn, "RESET1")


def test_clear_after_only_clears_what_is_committed(conn, db_url, tmp_path):
    records = make_records(500, seed=8)
    folder = write_regency(tmp_path / "r", {"FULL1": records})
    with serve_regency(folder, faults={"FULL1": "log_full"}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        device = sim.devices["FULL1"]
        assert device.add_punch("1001", "2026-07-01 07:00:00") is False  # full: punches are being lost
        result = pull_device(db_url, "FULL1", resolved_settings(pull_timeout=5), clear_after=True)
        assert result.ok and result.records_new == 500 and result.extra["cleared"] is True
        assert device.records == [] and device.enabled
        assert device.add_punch("1001", "2026-07-01 07:00:00") is True
        second = pull_device(db_url, "FULL1", resolved_settings(pull_timeout=5), clear_after=True)
        assert (second.records_read, second.records_new) == (1, 1)
    assert len(stored_punches(conn, "FULL1")) == 501


def test_unknown_and_inactive_devices(conn, db_url, tmp_path):
    folder = write_regency(tmp_path / "r", {"ON1": make_records(5), "OFF9": make_records(5, seed=2)})
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path, active={"OFF9": False})
        assert [d.device_sn for d in active_devices(conn, TZ)] == ["ON1"]
        assert [r.device_sn for r in pull_devices(db_url, resolved_settings(pull_timeout=5))] == ["ON1"]
        assert pull_devices(db_url, resolved_settings(pull_timeout=5), ["OFF9"])[
            0
        ].ok  # named explicitly: pulled anyway
        with pytest.raises(UserError, match="NOPE"):
            pull_devices(db_url, resolved_settings(pull_timeout=5), ["ON1", "NOPE"])
        with pytest.raises(UserError, match="NOPE"):
            pull_device(db_url, "NOPE", resolved_settings())


def test_registry_uses_newest_ok_batch_per_device(conn, tmp_path):
    from ingest.reference import load_reference_file

    (tmp_path / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n")
    load_reference_file(conn, "opd", tmp_path / "opd.csv")
    header = "device_sn,nama,opd_code,host,port,protocol,timezone,comm_key_ref,active\n"
    (tmp_path / "d1.csv").write_text(
        header
        + "A1,A,OPD01,10.0.0.1,4370,tcp,,,ya\nB1,B,OPD01,10.0.0.2,4370,udp,Asia/Makassar,ABSENSI_COMMKEY_KEY_B,ya\n"
    )
    (tmp_path / "d2.csv").write_text(header + "A1,A,OPD01,10.0.0.9,4371,tcp,,,tidak\n")
    load_reference_file(conn, "devices", tmp_path / "d1.csv")
    load_reference_file(conn, "devices", tmp_path / "d2.csv")
    devices = active_devices(conn, TZ)
    assert [(d.device_sn, d.host, d.protocol, d.timezone, d.comm_key_ref) for d in devices] == [
        ("B1", "10.0.0.2", "udp", "Asia/Makassar", "ABSENSI_COMMKEY_KEY_B")
    ]
    from ingest.registry import get_device

    a1 = get_device(conn, "A1", TZ)
    assert (a1.host, a1.port, a1.active, a1.timezone, a1.comm_key_ref) == (
        "10.0.0.9", 4371, False, "Asia/Jakarta", "ABSENSI_COMMKEY_A1"
    )  # fmt: skip


def test_cli_pull_exit_code_counts_failed_devices(db_url, conn, run_cli, tmp_path):
    folder = write_regency(tmp_path / "r", {"OK1": make_records(50), "DOWN1": make_records(5), "DOWN2": []})
    with serve_regency(
        folder, faults={"DOWN1": "offline", "DOWN2": "offline"}, free_ports=True, comm_keys={}
    ) as sim:
        register_devices(conn, sim, folder, tmp_path)
        result = run_cli("pull", "--timeout", "2")
        assert result.exit_code == 2, result.output
        assert "OK1" in result.stdout and "DOWN1" in result.stdout and "2 gagal" in result.stdout
        one = run_cli("pull", "--device", "OK1")
        assert one.exit_code == 0, one.output
        assert "0 catatan baru" in one.stdout
        unknown = run_cli("pull", "--device", "NOPE")
        assert unknown.exit_code == 2 and "NOPE" in unknown.stderr


def test_punch_naming_a_missing_batch_is_still_refused(conn):
    # migration 0005 swapped the per-row foreign key for one set-based check per statement
    import psycopg

    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="12345"):
        conn.execute(
            "insert into raw.device_punch (device_sn, device_pin, punch_local, source, batch_id)"
            " values ('X', '1', '2026-01-01 07:00', 'usb', 12345)"
        )
    assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 0


def _cut_the_warehouse_mid_pull(server_url: str, db_url: str, *, refuse_new: bool) -> threading.Thread:
    """A thread that waits until both pulls hold their database connection (they are still reading
    the slow devices), then ends every session of the database, as a PostgreSQL restart does; with
    `refuse_new` the database also stops accepting connections (a server that stays down)."""
    import psycopg

    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]

    def cut() -> None:
        with psycopg.connect(server_url, autocommit=True) as admin:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                sessions = admin.execute(
                    "select count(*) from pg_stat_activity where datname = %s", (dbname,)
                ).fetchone()[0]
                if sessions >= 3:  # the test's own connection and one per device being pulled
                    break
                time.sleep(0.05)
            time.sleep(0.3)
            if refuse_new:
                admin.execute(f'alter database "{dbname}" allow_connections false')
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (dbname,)
            )

    thread = threading.Thread(target=cut, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("stays_down", [False, True], ids=["restarted", "stopped"])
def test_warehouse_lost_mid_pull_fails_each_device_not_the_command(
    db_url, pg_server_url, run_cli, tmp_path, monkeypatch, stays_down
):
    """PostgreSQL goes away while two devices are being read: no traceback, the exit code is the
    number of failed devices, each has a failed batch row when the server is back (a restart), and
    the next pull stores every punch exactly once."""
    import psycopg

    monkeypatch.setenv("COLUMNS", "400")  # the table's notes on one line each

    folder = write_regency(tmp_path / "r", {"SLOW1": make_records(60, seed=4), "SLOW2": make_records(40)})
    faults = {"SLOW1": "latency=0.15", "SLOW2": "latency=0.15"}
    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    with serve_regency(folder, faults=faults, free_ports=True, comm_keys={}) as sim:
        with psycopg.connect(db_url, autocommit=True) as conn:
            register_devices(conn, sim, folder, tmp_path)
            cutter = _cut_the_warehouse_mid_pull(pg_server_url, db_url, refuse_new=stays_down)
            result = run_cli("pull", "--timeout", "5", "--workers", "2")
            cutter.join(timeout=30)
        try:
            assert result.exit_code == 2, result.output
            assert "Traceback" not in result.output
            assert "2 mesin, 2 gagal, 0 catatan baru." in result.stdout
            assert result.stdout.count("database terputus saat menarik") == 2, result.stdout
        finally:
            with psycopg.connect(pg_server_url, autocommit=True) as admin:
                admin.execute(f'alter database "{dbname}" allow_connections true')
        with psycopg.connect(db_url, autocommit=True) as conn:
            rows = _batches(conn)
            expected = [] if stays_down else [("SLOW1", "failed", 0), ("SLOW2", "failed", 0)]
            assert sorted((r[0], r[1], r[3]) for r in rows) == expected
            assert all("database terputus saat menarik" in r[5] for r in rows)
            assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 0
            again = run_cli("pull", "--timeout", "5")
            assert again.exit_code == 0, again.output
            assert stored_punches(conn, "SLOW1") and len(stored_punches(conn, "SLOW2")) == 40
            assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 100


def test_a_pull_killed_while_the_device_is_disabled_is_undone_by_the_next_pull(conn, db_url, tmp_path):
    """kill -9 of `absensi pull --clear-after` while it reads a disabled device (real process, real
    sockets): the device stays disabled, as a real one would; the next pull finds the hold it left,
    enables the device, stores every punch once and forgets the hold. A device disabled by someone
    else (no hold) is left alone."""
    import os
    import signal
    import subprocess
    import sys

    from warehouse.settings import ENV_DATABASE_URL, PROJECT_ROOT

    records = make_records(300, seed=6)
    folder = write_regency(tmp_path / "r", {"HOLD1": records, "OPER1": make_records(20, seed=7)})
    with serve_regency(folder, faults={"HOLD1": "latency=0.3"}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        device = sim.devices["HOLD1"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "absensi.cli", "pull", "--clear-after", "--device", "HOLD1"],
            cwd=PROJECT_ROOT,
            env={**os.environ, ENV_DATABASE_URL: db_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while device.enabled and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            assert not device.enabled, "the pull never disabled the device"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        time.sleep(0.5)
        assert not device.enabled  # nobody enabled it: the device holds its disabled state
        assert conn.execute("select device_sn from ops.device_hold").fetchall() == [("HOLD1",)]
        assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == 0

        result = pull_device(db_url, "HOLD1", resolved_settings(pull_timeout=5))
        assert result.ok and result.records_new == 300 and result.extra["reenabled"] is True
        assert device.enabled
        assert conn.execute("select count(*) from ops.device_hold").fetchone()[0] == 0
        assert len(stored_punches(conn, "HOLD1")) == 300
        assert device.records  # a plain pull clears nothing

        # A clean --clear-after pull leaves no hold behind.
        cleared = pull_device(db_url, "HOLD1", resolved_settings(pull_timeout=5), clear_after=True)
        assert cleared.ok and cleared.extra["cleared"] is True and "reenabled" not in cleared.extra
        assert device.enabled and device.records == []
        assert conn.execute("select count(*) from ops.device_hold").fetchone()[0] == 0

        # An operator disabled this one at the machine: not ours to undo.
        sim.devices["OPER1"].enabled = False
        other = pull_device(db_url, "OPER1", resolved_settings(pull_timeout=5))
        assert other.ok and "reenabled" not in other.extra
        assert sim.devices["OPER1"].enabled is False


def test_an_unchanged_user_list_is_stored_once_and_staging_still_shows_it_per_pull(conn, db_url, tmp_path):
    """Every pull reads the whole user list; raw.device_user keeps it only when it changed (hash per
    device, migration 0010), and stg_raw__device_users still gives every pull batch its list."""
    import psycopg

    from absensi.transform import run_build

    folder = write_regency(tmp_path / "r", {"U1": make_records(30, seed=5), "U2": make_records(10, seed=9)})
    (folder / "pins.csv").write_text(
        "nip,device_pin,device_sn\na,1001,\nb,1002,\nc,1003,\n", encoding="utf-8"
    )
    first_list = ["1001", "1002", "1003"]
    changed_list = ["1001", "1002", "1003", "1004"]
    expected: dict[int, tuple[str, list[str]]] = {}

    def pull(serial: str, users: list[str]) -> None:
        result = pull_device(db_url, serial, resolved_settings(pull_timeout=5))
        assert result.ok, result.error
        expected[result.batch_id] = (serial, users)

    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        for _ in range(3):
            pull("U1", first_list)
        pull("U2", first_list)
        assert conn.execute("select count(*) from raw.device_user").fetchone()[0] == 3 + 3
        sim.devices["U1"].set_users([(pin, f"Pegawai {pin}") for pin in changed_list])
        pull("U1", changed_list)
        pull("U1", changed_list)
        assert conn.execute("select count(*) from raw.device_user").fetchone()[0] == 6 + 4
        sim.devices["U1"].set_users([(pin, "") for pin in first_list])  # back as it was: a change again
        pull("U1", first_list)
        assert conn.execute("select count(*) from raw.device_user").fetchone()[0] == 10 + 3

    batches = conn.execute(
        "select batch_id, users_sha256, users_batch_id from raw.ingest_batch where kind = 'pull' order by 1"
    ).fetchall()
    ids = [b[0] for b in batches]
    assert [b[2] for b in batches] == [None, ids[0], ids[0], None, None, ids[4], None]
    assert batches[0][1] == batches[3][1] == batches[6][1] != batches[4][1]  # same pins, same names

    run_build(db_url, resolved_settings(), select="stg_raw__device_users", unit_tests=False)
    staged = conn.execute(
        "select batch_id, min(device_sn), array_agg(device_pin order by device_pin)"
        " from staging.stg_raw__device_users group by batch_id order by batch_id"
    ).fetchall()
    assert staged == [(b, sn, pins) for b, (sn, pins) in sorted(expected.items())]

    # A batch can only point at an earlier ok pull of the same device with the same list.
    with pytest.raises(psycopg.errors.CheckViolation, match="users_batch_id"):
        conn.execute(
            """insert into raw.ingest_batch (kind, device_sn, started_at, status, users_sha256, users_batch_id)
               values ('pull', 'U2', now(), 'ok', %s, %s)""",
            (batches[0][1], ids[0]),
        )
