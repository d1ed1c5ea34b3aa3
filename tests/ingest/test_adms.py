"""The ADMS push receiver over real HTTP on loopback, into a real PostgreSQL, with the push device
simulator behaving as a device does (handshake, chunks, ErrorDelay, resends, commands)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from ingest.adms.protocol import parse_options
from ingest.adms.server import running_receiver
from ingest.reference import ReferenceFileError, load_reference_file
from ingest.registry import active_devices, push_devices
from ingest.simulator.adms import AdmsDevice, PushFaults
from warehouse.settings import PROJECT_ROOT, AdmsSettings

FAST = AdmsSettings(port=0, delay=1, error_delay=1)
DEVICES_HEADER = "device_sn,nama,opd_code,host,port,protocol,timezone,push_token_ref,push_allow\n"


def register(conn: psycopg.Connection, folder: Path, rows: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nO1,Dinas Uji,dinas\n", encoding="utf-8")
    (folder / "devices.csv").write_text(DEVICES_HEADER + rows, encoding="utf-8")
    load_reference_file(conn, "opd", folder / "opd.csv")
    load_reference_file(conn, "devices", folder / "devices.csv")


def records(count: int, start: datetime = datetime(2026, 3, 2, 6, 45), pins: int = 300) -> list[tuple]:
    return [
        (str(1000 + i % pins), f"{start + timedelta(seconds=7 * i):%Y-%m-%d %H:%M:%S}", 1, i % 2, 0)
        for i in range(count)
    ]


def stored(conn: psycopg.Connection, serial: str) -> list[tuple]:
    return conn.execute(
        """select device_pin, to_char(punch_local, 'YYYY-MM-DD HH24:MI:SS'), verify_type, punch_state, work_code
             from raw.device_punch where device_sn = %s and source = 'push'""",
        (serial,),
    ).fetchall()


def batches(conn: psycopg.Connection, serial: str) -> list[tuple]:
    return conn.execute(
        """select status, records_read, records_new, error, content_sha256 from raw.ingest_batch
            where device_sn = %s and kind = 'push' order by batch_id""",
        (serial,),
    ).fetchall()


@pytest.fixture
def push_db(conn, tmp_path):
    register(
        conn,
        tmp_path / "reg",
        "P1,Puskesmas Satu,O1,,,push,Asia/Makassar,,\n"
        "P2,Puskesmas Dua,O1,,,push,,,\n"
        "T1,Kantor Tarik,O1,10.0.0.9,4370,tcp,,,\n",
    )
    return conn


def test_registry_takes_push_devices_without_an_address_and_the_pull_leaves_them(push_db, tmp_path):
    assert [d.device_sn for d in active_devices(push_db, "Asia/Jakarta")] == ["T1"]
    assert [(d.device_sn, d.timezone) for d in push_devices(push_db, "Asia/Jakarta")] == [
        ("P1", "Asia/Makassar"),
        ("P2", "Asia/Jakarta"),
    ]
    folder = tmp_path / "bad"
    (folder).mkdir()
    (folder / "devices.csv").write_text(
        DEVICES_HEADER + "T2,Tanpa alamat,O1,,,tcp,,,\nP9,Salah,O1,,,push,,TOKEN_X,10.0.0.300\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceFileError) as refused:
        load_reference_file(push_db, "devices", folder / "devices.csv")
    problems = "\n".join(refused.value.problems)
    assert "devices.csv:2: host: wajib diisi untuk protocol tcp" in problems
    assert "devices.csv:3: push_token_ref: harus nama variabel lingkungan ABSENSI_ADMS_TOKEN_" in problems
    assert "devices.csv:3: push_allow: alamat/CIDR tidak sah '10.0.0.300'" in problems


def test_handshake_answers_the_options_block_and_a_device_resumes_from_its_stamp(push_db, db_url):
    with running_receiver(db_url, FAST, "Asia/Jakarta") as base:
        answer = httpx.get(f"{base}/iclock/cdata", params={"SN": "P1", "options": "all", "pushver": "2.4.1"})
        assert answer.status_code == 200
        lines = answer.text.splitlines()
        assert lines[0] == "GET OPTION FROM: P1"
        options = parse_options(answer.text)
        assert options["ATTLOGStamp"] == "None" and options["OPERLOGStamp"] == "None"
        assert options["ATTPHOTOStamp"] == "None"
        assert options["TimeZone"] == "8"  # the registry says Asia/Makassar (WITA)
        assert (options["ErrorDelay"], options["Delay"], options["Realtime"]) == ("1", "1", "1")
        assert {"TransTimes", "TransInterval", "TransFlag", "Encrypt", "ServerVer"} <= set(options)
        assert "AttLog" in options["TransFlag"] and "AttPhoto" not in options["TransFlag"]

        device = AdmsDevice("P1", records(40), base, chunk=15, timezone="Asia/Makassar").start()
        try:
            assert device.wait_uploaded(20)
        finally:
            device.stop()
        assert [(p.first_stamp, p.last_stamp, p.status) for p in device.posts] == [
            (1, 15, "ok"),
            (16, 30, "ok"),
            (31, 40, "ok"),
        ]
        # The same device again (a reboot): the server's ATTLOGStamp says where it stopped.
        again = AdmsDevice("P1", records(40), base, chunk=15, timezone="Asia/Makassar").start()
        try:
            assert again.wait_uploaded(10)
            again.add_punch("1001", "2026-03-02 16:05:00")
            assert again.wait_uploaded(10)
        finally:
            again.stop()
        assert again.options["ATTLOGStamp"] == "40"
        assert [(p.first_stamp, p.last_stamp) for p in again.posts] == [(41, 41)]
    assert len(stored(push_db, "P1")) == 41
    row = push_db.execute(
        "select attlog_stamp, last_request, push_version from ops.adms_device where device_sn = 'P1'"
    ).fetchone()
    assert row[0] == 41 and row[2] == "2.4.1"


def test_realtime_punch_is_acknowledged_only_after_its_commit(push_db, db_url):
    with running_receiver(db_url, FAST, "Asia/Jakarta") as base:
        device = AdmsDevice("P2", records(3), base).start()
        try:
            assert device.wait_uploaded(10)
            # Hold the device's write lock (as a pull of the same device would): the post waits
            # for its commit, and so does the device's OK.
            with psycopg.connect(db_url, autocommit=True) as blocker:
                blocker.execute(
                    "select pg_advisory_lock(hashtextextended('absensi.device_punch:' || 'P2', 0))"
                )
                device.add_punch("1007", "2026-03-02 07:31:00", verify=15, state=1)
                time.sleep(1.0)
                assert device.acknowledged == 3, "acknowledged before the commit"
                assert ("1007", "2026-03-02 07:31:00", 15, 1, 0) not in stored(push_db, "P2")
                blocker.execute("select pg_advisory_unlock_all()")
            assert device.wait_uploaded(10)
        finally:
            device.stop()
    assert ("1007", "2026-03-02 07:31:00", 15, 1, 0) in stored(push_db, "P2")
    realtime = [p for p in device.posts if p.realtime]
    assert [(p.first_stamp, p.last_stamp, p.status) for p in realtime] == [(4, 4, "ok")]
    assert batches(push_db, "P2")[-1][:3] == ("ok", 1, 1)
    # the push created its month's partition before writing (migration 0015): nothing in the default one
    assert push_db.execute(
        "select distinct tableoid::regclass::text from raw.device_punch where device_sn = 'P2'"
    ).fetchall() == [("raw.device_punch_p202603",)]


def test_backlog_and_resend_after_a_server_error_lose_nothing_and_count_nothing_twice(push_db, db_url):
    log = records(2_000)
    # The warehouse refuses the 2nd chunk's punches once (as a full disk or a failover would).
    push_db.execute("create table public.fail_once (armed boolean)")
    push_db.execute("insert into public.fail_once values (true)")
    push_db.execute(
        """create function public.fail_once() returns trigger language plpgsql as $$
           begin
             if exists (select 1 from new_rows where punch_local >= '2026-03-02 07:44:00')
                and (select armed from public.fail_once) then
               raise exception 'disk penuh (uji)';
             end if;
             return null;
           end $$"""
    )
    push_db.execute(
        """create trigger fail_once after insert on raw.device_punch referencing new table as new_rows
           for each statement execute function public.fail_once()"""
    )
    with running_receiver(db_url, FAST, "Asia/Jakarta") as base:
        device = AdmsDevice("P1", log, base, chunk=500, timezone="Asia/Makassar").start()
        try:
            deadline = time.monotonic() + 20
            while not any(p.status == "error" for p in device.posts) and time.monotonic() < deadline:
                time.sleep(0.05)
            push_db.execute("update public.fail_once set armed = false")
            assert device.wait_uploaded(30)
        finally:
            device.stop()
    statuses = [(p.first_stamp, p.status) for p in device.posts]
    assert (501, "error") in statuses and statuses[-1] == (1501, "ok")
    assert sorted(stored(push_db, "P1")) == sorted(set(log))  # nothing lost, nothing doubled
    rows = batches(push_db, "P1")
    failed = [r for r in rows if r[0] == "failed"]
    assert len(failed) == 1 and "disk penuh (uji)" in failed[0][3]
    assert sum(r[2] for r in rows if r[0] == "ok") == 2_000


def test_unknown_serial_is_refused_and_nothing_is_stored_until_it_is_registered(push_db, db_url, tmp_path):
    with running_receiver(db_url, FAST, "Asia/Jakarta", registry_retry=0.2) as base:
        stranger = AdmsDevice("X9", records(5), base, error_delay=0.3).start()
        pulled = AdmsDevice("T1", records(5), base, error_delay=0.3).start()
        try:
            time.sleep(1.5)
            assert stranger.refusals >= 2 and pulled.refusals >= 2
            assert stranger.acknowledged == 0 and pulled.acknowledged == 0
            for serial in ("X9", "T1"):
                assert push_db.execute(
                    "select count(*) from raw.ingest_batch where device_sn = %s", (serial,)
                ).fetchone() == (0,)
                assert push_db.execute(
                    "select count(*) from ops.adms_device where device_sn = %s", (serial,)
                ).fetchone() == (0,)
            assert (
                httpx.post(
                    f"{base}/iclock/cdata",
                    params={"SN": "X9", "table": "ATTLOG"},
                    content=b"1\t2026-03-02 07:00:00\n",
                ).status_code
                == 403
            )
            # Registered as a push device: its next try gets in, with everything it kept.
            (tmp_path / "more.csv").write_text(DEVICES_HEADER + "X9,Baru,O1,,,push,,,\n", encoding="utf-8")
            load_reference_file(push_db, "devices", tmp_path / "more.csv")
            assert stranger.wait_uploaded(10)
        finally:
            stranger.stop()
            pulled.stop()
    assert len(stored(push_db, "X9")) == 5
    assert stored(push_db, "T1") == []


def test_garbage_is_refused_whole_with_one_clear_failed_batch(push_db, db_url):
    good = "1001\t2026-03-02 07:01:00\t0\t1\t0\t0\t0\n"
    garbage = (
        good
        + "1002\t2026-02-31 07:02:00\t0\t1\t0\n\t2026-03-02 07:03:00\t0\t1\n1004\t2026-03-02 07:04:00\tx\t1\n"
    )
    small = AdmsSettings(port=0, delay=1, error_delay=1, max_body_bytes=64 * 1024)
    with running_receiver(db_url, small, "Asia/Jakarta") as base:
        post = {"SN": "P1", "table": "ATTLOG", "Stamp": "4"}
        first = httpx.post(f"{base}/iclock/cdata", params=post, content=garbage.encode())
        again = httpx.post(f"{base}/iclock/cdata", params=post, content=garbage.encode())  # after ErrorDelay
        binary = httpx.post(
            f"{base}/iclock/cdata", params={**post, "Stamp": "5"}, content=b"\xff\xfe\x00\x01garbage"
        )
        huge = httpx.post(
            f"{base}/iclock/cdata", params={**post, "Stamp": "6"}, content=good.encode() * 2_000
        )  # 80 kB > ABSENSI_ADMS_MAX_BODY
        fine = httpx.post(f"{base}/iclock/cdata", params=post, content=good.encode())
        empty = httpx.post(f"{base}/iclock/cdata", params={**post, "Stamp": "7"}, content=b"\r\n")
        photo = httpx.post(
            f"{base}/iclock/cdata",
            params={"SN": "P1", "table": "ATTPHOTO", "Stamp": "3"},
            content=b"\xff\xd8jpeg",
        )
        health = httpx.get(f"{base}/healthz")
    assert (first.status_code, again.status_code, binary.status_code, huge.status_code) == (
        400,
        400,
        400,
        413,
    )
    assert not first.text.startswith("OK") and fine.text == "OK: 1"
    assert (empty.text, photo.text) == ("OK: 0", "OK")  # acknowledged, nothing stored, no batch row
    assert health.status_code == 200 and health.json()["status"] == "ok"
    rows = batches(push_db, "P1")
    assert [r[0] for r in rows] == ["failed", "failed", "failed", "ok"]  # the resend added no row
    error = rows[0][3]
    assert error.startswith("mesin P1: kiriman ATTLOG ditolak seluruhnya, 3 dari 4 baris ditolak")
    assert "baris 2: waktu '2026-02-31 07:02:00' bukan YYYY-MM-DD HH:MM:SS" in error
    assert "baris 3: PIN kosong" in error and "baris 4: kolom state 'x' bukan bilangan bulat" in error
    assert "bukan teks UTF-8" in rows[1][3] and "lebih dari" in rows[2][3]
    assert stored(push_db, "P1") == [("1001", "2026-03-02 07:01:00", 1, 0, 0)]
    assert push_db.execute(
        "select attlog_stamp, attphoto_stamp from ops.adms_device where device_sn = 'P1'"
    ).fetchone() == (7, 3)


def test_source_allow_list_and_token_and_no_secret_in_any_answer(conn, db_url, tmp_path):
    register(
        conn,
        tmp_path / "reg",
        "S1,Lewat relai,O1,,,push,,ABSENSI_ADMS_TOKEN_S1,\nS2,Kantor jauh,O1,,,push,,,203.0.113.0/24\n",
    )
    secret = "rahasia-relai-7f3a"
    settings = AdmsSettings(port=0, delay=1, error_delay=1, tokens={"ABSENSI_ADMS_TOKEN_S1": secret})
    with running_receiver(db_url, settings, "Asia/Jakarta") as base:
        options = {"options": "all"}
        no_token = httpx.get(f"{base}/iclock/cdata", params={"SN": "S1", **options})
        bad_token = httpx.get(
            f"{base}/iclock/cdata", params={"SN": "S1", **options}, headers={"X-Absensi-Token": "tebakan"}
        )
        good_token = httpx.get(
            f"{base}/iclock/cdata", params={"SN": "S1", **options}, headers={"X-Absensi-Token": secret}
        )
        elsewhere = httpx.get(f"{base}/iclock/cdata", params={"SN": "S2", **options})  # from 127.0.0.1
        proxied = httpx.get(  # the trusted proxy (127.0.0.1) says the device is 203.0.113.7
            f"{base}/iclock/cdata", params={"SN": "S2", **options}, headers={"X-Forwarded-For": "203.0.113.7"}
        )
    assert (no_token.status_code, bad_token.status_code, good_token.status_code) == (403, 403, 200)
    assert (elsewhere.status_code, proxied.status_code) == (403, 200)
    for answer in (no_token, bad_token, good_token, elsewhere, proxied):
        assert secret not in answer.text and "ABSENSI_ADMS_TOKEN" not in answer.text
    assert conn.execute("select last_seen_from from ops.adms_device where device_sn = 'S2'").fetchone() == (
        "203.0.113.7",
    )


def test_command_queue_round_trip(push_db, db_url, run_cli):
    clock_behind = -3_600.0  # the device's clock is an hour slow
    with running_receiver(db_url, FAST, "Asia/Jakarta") as base:
        device = AdmsDevice(
            "P1", records(3), base, timezone="Asia/Makassar", clock_offset=clock_behind
        ).start()
        try:
            assert device.wait_uploaded(10)
            for name in ("info", "sinkron-jam", "reboot"):
                queued = run_cli("adms", "command", "P1", name)
                assert queued.exit_code == 0, queued.output
                assert "diantrekan untuk mesin P1" in queued.stdout
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and (len(device.commands) < 3 or device.handshakes < 2):
                time.sleep(0.1)
            # Ask for the whole log again (its log was cleared, or to be sure): nothing doubles.
            resend = run_cli("adms", "command", "P1", "check", "--dari-awal")
            assert resend.exit_code == 0, resend.output
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any(p.first_stamp == 1 for p in device.posts[1:]):
                time.sleep(0.1)
            assert device.wait_uploaded(10)
        finally:
            device.stop()
    assert [(p.first_stamp, p.last_stamp, p.status) for p in device.posts] == [(1, 3, "ok"), (1, 3, "ok")]
    assert [r[1:3] for r in batches(push_db, "P1")] == [(3, 3), (3, 0)]
    assert [command for _id, command, _code in device.commands][0::2] == ["INFO", "REBOOT"]
    assert device.commands[3][1] == "CHECK"
    assert device.commands[1][1].startswith("SET OPTIONS DateTime=")
    assert abs(device.clock_offset) < 5, "the TIME command set the device clock to WITA local time"
    assert device.handshakes >= 2  # the reboot made it ask for its options again
    rows = push_db.execute(
        "select command, sent_text, return_code, result from ops.adms_command order by command_id"
    ).fetchall()
    assert [(r[0], r[2]) for r in rows] == [("INFO", 0), ("TIME", 0), ("REBOOT", 0), ("CHECK", 0)]
    assert rows[1][1].startswith("SET OPTIONS DateTime=")
    info = push_db.execute("select device_info from ops.adms_device where device_sn = 'P1'").fetchone()[0]
    assert info["TransactionCount"] == "3" and info["DeviceName"]
    status = run_cli("adms", "status", "--device", "P1")
    assert status.exit_code == 0, status.output
    assert "berhasil" in status.stdout and "P1" in status.stdout
    refused = run_cli("adms", "command", "T1", "info")
    assert refused.exit_code == 2 and "bukan push" in refused.stderr
    unknown = run_cli("adms", "command", "P1", "shell rm -rf /")
    assert unknown.exit_code == 2 and "tidak dikenal" in unknown.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(db_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ABSENSI_DATABASE_URL": db_url,
        "ABSENSI_ADMS_PORT": str(port),
        "ABSENSI_ADMS_ERROR_DELAY": "1",
        "ABSENSI_ADMS_DELAY": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "absensi.cli", "adms", "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.communicate()[0])


def test_kill_9_mid_post_then_the_device_resends_exactly_once(push_db, db_url):
    port = _free_port()
    log = records(3_000, pins=400)
    server = _start_server(db_url, port)
    device = AdmsDevice(
        "P1",
        log,
        f"http://127.0.0.1:{port}",
        chunk=1_000,
        timezone="Asia/Makassar",
        faults=PushFaults(slow=40_000),  # ~1 s per 1,000-line chunk: the kill lands inside a post
    )
    try:
        device.start()
        deadline = time.monotonic() + 20
        while device.acknowledged < 1_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert device.acknowledged == 1_000
        time.sleep(0.4)  # the second chunk is on the wire
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        assert device.acknowledged == 1_000, "nothing acknowledged by a dead server"
        committed_before = len(stored(push_db, "P1"))
        assert committed_before == 1_000  # what was acknowledged is exactly what was committed
        time.sleep(1.5)  # the device retries into a closed port, keeps its data
        server = _start_server(db_url, port)
        assert device.wait_uploaded(30)
    finally:
        device.stop()
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=20)[0]
    assert server.returncode == 0, output
    assert "Penerima ADMS mendengar di http://127.0.0.1" in output
    assert any(p.status == "dropped" for p in device.posts)
    assert sorted(stored(push_db, "P1")) == sorted(set(log))  # exactly once
    assert push_db.execute("select attlog_stamp from ops.adms_device where device_sn = 'P1'").fetchone() == (
        3_000,
    )
