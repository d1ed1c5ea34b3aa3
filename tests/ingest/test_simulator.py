"""The ZK simulator against UNMODIFIED pyzk 0.9 over real loopback sockets (TCP and UDP)."""

from __future__ import annotations

import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from zk import ZK, const
from zk.exception import ZKErrorResponse, ZKNetworkError

from ingest import zk_protocol as zp
from ingest.attlog_buffer import attlog_copy_text
from ingest.simulator import Faults, serve_regency
from tests.ingest.zk_regency import make_records, write_regency
from warehouse.settings import PROJECT_ROOT

RECORDS = make_records(2500, seed=7)  # 100 KB at 40 bytes: several TCP chunks and many UDP packets


def _zk(sim, serial="D1", *, udp=False, key=0, timeout=5):
    host, port = sim.address(serial)
    return ZK(host, port=port, timeout=timeout, password=key, force_udp=udp, ommit_ping=True)


@pytest.fixture
def folder(tmp_path):
    return write_regency(tmp_path / "regency", {"D1": RECORDS, "D2": RECORDS[:3]})


def test_checksum_is_the_standard_one_and_time_encoding_matches_pyzk():
    """The reply checksum is protocol.md's (one's complement of the folded 16-bit sum), which every
    captured device packet carries (tests/ingest/test_protocol_evidence.py). pyzk's helper yields one
    less, but pyzk applies it before bumping the reply number, so the requests it SENDS carry the
    standard checksum too: checked here on packets pyzk builds itself."""
    zk = ZK("127.0.0.1")
    rng = random.Random(3)
    for size in (0, 1, 7, 8, 9, 64, 1031):
        for _ in range(20):
            payload = bytes(rng.randrange(256) for _ in range(size))
            if size == 64:
                payload = b"\xff" * size  # folding edge: sums that hit multiples of 65535
            command, session, reply = rng.randrange(2000), rng.randrange(1, 0xFFFE), rng.randrange(0xFFFE)
            sent = zk._ZK__create_header(command, payload, session, reply)  # what pyzk puts on the wire
            assert zp.checksum_ok(sent), sent.hex()
            assert zp.checksum_ok(zp.make_packet(command, session, reply + 1, payload))
            helper = struct_h(zk._ZK__create_checksum(list(sent[:2] + b"\x00\x00" + sent[4:])))
            assert (helper + 1) % 0x10000 == zp.checksum(
                sent[:2] + b"\x00\x00" + sent[4:]
            ) or helper == 0xFFFE
    for when in (datetime(2000, 1, 1), datetime(2026, 2, 28, 23, 59, 59), datetime(2099, 12, 31, 7, 30)):
        encoded = zk._ZK__encode_time(when)
        assert zp.encode_time(when) == encoded
        assert zk._ZK__decode_time(encoded.to_bytes(4, "little")) == when == zp.decode_time(encoded)


def struct_h(packed: bytes) -> int:
    return int.from_bytes(packed, "little")


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
@pytest.mark.parametrize("att_format,user_format", [(8, 28), (16, 28), (40, 72), (40, 28), (16, 72)])
def test_pyzk_reads_users_and_every_record_in_every_format(folder, udp, att_format, user_format):
    users = [(str(1000 + i), f"Pegawai {i}") for i in range(0, 50, 2)]  # half the PINs enrolled
    (folder / "pins.csv").write_text(
        "nip,device_pin,device_sn\n" + "".join(f"{name},{pin},D1\n" for pin, name in users), encoding="utf-8"
    )
    overrides = {"D1": {"att_format": att_format, "user_format": user_format}}
    with serve_regency(folder, free_ports=True, comm_keys={"D1": 0}, overrides=overrides) as sim:
        link = _zk(sim, udp=udp).connect()
        assert link.get_serialnumber() == "D1"
        got_users = link.get_users()
        assert sorted(u.user_id for u in got_users) == sorted(pin for pin, _ in users)
        assert link.user_packet_size == user_format
        if att_format == 8:
            # pyzk 0.9 decodes the 8-byte record from the wrong offset (pyzk #56, #99: real devices
            # put the time at byte 4), so its get_attendance() cannot read a real 8-byte device. Its
            # transport can: the buffer it reads is decoded by the pull's parser.
            with pytest.raises(ValueError):
                link.get_attendance()
            link.read_sizes()
            data, _size = link.read_with_buffer(const.CMD_ATTLOG_RRQ)
            uid_to_pin = {u.uid: u.user_id for u in got_users}
            lines = attlog_copy_text(data, link.records, uid_to_pin).decode().splitlines()
            link.disconnect()
            got = sorted(tuple(line.split("\t")[:4]) for line in lines)
            assert got == sorted((pin, when, str(v), str(s)) for pin, when, v, s, _w in RECORDS)
            return
        attendance = link.get_attendance()
        link.disconnect()
    got = [(a.user_id, a.timestamp.strftime("%Y-%m-%d %H:%M:%S"), a.status, a.punch) for a in attendance]
    assert got == [(pin, when, v, s) for pin, when, v, s, _w in RECORDS]


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_comm_key_authentication(folder, udp):
    with serve_regency(folder, free_ports=True, comm_keys={"D1": 123456}) as sim:
        link = _zk(sim, udp=udp, key=123456).connect()
        assert link.get_serialnumber() == "D1"
        assert len(link.get_attendance()) == len(RECORDS)
        link.disconnect()
        for wrong in (0, 654321):
            with pytest.raises(ZKErrorResponse, match="Unauthenticated"):
                _zk(sim, udp=udp, key=wrong).connect()


def test_device_information_clock_sizes_and_other_commands(folder):
    overrides = {"D1": {"clock_offset": 3600.0, "capacity": 5000}}
    with serve_regency(folder, free_ports=True, comm_keys={}, overrides=overrides) as sim:
        link = _zk(sim).connect()
        assert link.get_firmware_version().startswith("Ver ")
        assert link.get_platform() and link.get_device_name() == "Mesin D1"
        assert link.get_mac().count(":") == 5
        assert link.get_pin_width() in (9, 14)
        assert link.get_extend_fmt() == 1 and link.get_fp_version() == 10
        assert link.get_network_params()["ip"] == "127.0.0.1"
        link.read_sizes()
        assert (link.records, link.rec_cap, link.rec_av) == (len(RECORDS), 5000, 5000 - len(RECORDS))
        clock = link.get_time()
        expected = datetime.now(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None)
        assert abs((clock - expected).total_seconds() - 3600) < 3
        link.set_time(datetime(2026, 5, 1, 8, 0, 0))
        assert abs((link.get_time() - datetime(2026, 5, 1, 8, 0, 0)).total_seconds()) < 3
        assert link.disable_device() and link.enable_device()
        assert link.refresh_data() and link.test_voice(0)
        assert link.get_face_version() is None  # an option this device does not have: an error answer
        # every other command gets an answer too (pyzk has no public call for an arbitrary command)
        assert link._ZK__send_command(4321) == {"status": False, "code": const.CMD_ACK_UNKNOWN}
        assert link.get_serialnumber() == "D1"  # and the session carries on
        link.clear_attendance()
        link.read_sizes()
        assert link.records == 0 and link.get_attendance() == []
        link.disconnect()


def test_many_devices_in_one_process_on_their_own_ports(tmp_path):
    devices = {f"S{i:02d}": make_records(20, seed=i) for i in range(12)}
    folder = write_regency(tmp_path / "r", devices)
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        assert len({sim.address(sn) for sn in devices}) == 12
        for serial, records in devices.items():
            link = _zk(sim, serial, udp=serial.endswith("1")).connect()
            assert link.get_serialnumber() == serial
            assert len(link.get_attendance()) == len(records)
            link.disconnect()


def test_fault_offline_refuses_connections(folder):
    with serve_regency(folder, faults={"D1": "offline"}, free_ports=True, comm_keys={}) as sim:
        for udp in (False, True):
            with pytest.raises((ZKNetworkError, ZKErrorResponse, OSError)):
                _zk(sim, udp=udp, timeout=2).connect()
        assert _zk(sim, "D2").connect().get_serialnumber() == "D2"


def test_fault_stall_mid_transfer_times_out(folder):
    with serve_regency(folder, faults={"D1": "stall"}, free_ports=True, comm_keys={}) as sim:
        link = _zk(sim, timeout=1).connect()
        link.read_sizes()
        t0 = time.monotonic()
        with pytest.raises((ZKNetworkError, ZKErrorResponse, OSError)):
            link.read_with_buffer(const.CMD_ATTLOG_RRQ)
        assert time.monotonic() - t0 < 10


def test_fault_slow_link_adds_latency(folder):
    with serve_regency(folder, faults={"D2": Faults(latency=0.1)}, free_ports=True, comm_keys={}) as sim:
        link = _zk(sim, "D2").connect()
        t0 = time.monotonic()
        for _ in range(5):
            link.get_time()
        assert time.monotonic() - t0 >= 0.5
        assert len(link.get_attendance()) == 3


def test_fault_dropped_udp_chunk_comes_back_short_in_pyzk(folder):
    # pyzk joins whatever UDP datagrams arrive: a lost one silently shortens the data. The pull
    # must catch this (tests/ingest/test_pull.py); here we prove the simulator really drops it.
    with serve_regency(folder, faults={"D1": "drop_chunk=1"}, free_ports=True, comm_keys={}) as sim:
        link = _zk(sim, udp=True).connect()
        link.read_sizes()
        data, announced = link.read_with_buffer(const.CMD_ATTLOG_RRQ)
        assert len(data) == announced - zp.UDP_PACKET_DATA
        data, announced = link.read_with_buffer(const.CMD_ATTLOG_RRQ)  # the next read is whole
        assert len(data) == announced


def test_fault_clock_reset_and_log_full(folder):
    faults = {"D1": "clock_reset,log_full"}
    with serve_regency(folder, faults=faults, free_ports=True, comm_keys={}) as sim:
        link = _zk(sim).connect()
        assert link.get_time().year == 2000
        link.read_sizes()
        assert link.records == link.rec_cap == len(RECORDS) and link.rec_av == 0
        assert sim.devices["D1"].add_punch("1001", "2026-06-01 07:00:00") is False


def test_absensi_simulate_serves_until_ctrl_c(folder):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "absensi.cli", "simulate", "--from", str(folder), "--port", f"D1={port}",
         "--fault", "D2=offline", "--clock", "D1=-3600"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    printed = []
    try:
        # The device table comes first, then "Berjalan": Ctrl-C only after the operator saw both.
        for line in proc.stdout:
            printed.append(line)
            if "Berjalan" in line:
                break
        assert proc.poll() is None, "".join(printed)
        link = ZK("127.0.0.1", port=port, timeout=2, ommit_ping=True).connect()
        assert link.get_serialnumber() == "D1"
        skew = (link.get_time() - datetime.now(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None)).total_seconds()
        assert abs(skew + 3600) < 5
        link.disconnect()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
        out = "".join(printed) + rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "D1" in out and "offline" in out and "dihentikan" in out


def test_fault_specs_parse_and_bad_ones_are_named():
    assert Faults.parse("offline") == Faults(offline=True)
    assert Faults.parse("latency=0.2, drop_chunk=2, stall=0") == Faults(latency=0.2, drop_chunk=2)
    with pytest.raises(ValueError, match="latency"):
        Faults.parse("latency")
    with pytest.raises(ValueError, match="meledak"):
        Faults.parse("meledak")


def test_udp_answers_pipelined_requests_one_at_a_time_in_order(folder):
    """A client that sends several chunk requests at once (node-zklib does) gets each answer whole,
    in request order: a device does not interleave them (each datagram's checksum is the standard one)."""
    with serve_regency(folder, faults={"D1": "latency=0.02"}, free_ports=True, comm_keys={}) as sim:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(5)
        sock.connect(sim.address("D1"))
        sock.send(zp.make_packet(const.CMD_CONNECT, 0, 0))
        session = zp.parse_header(sock.recv(2048))[2]
        sock.send(
            zp.make_packet(
                zp.CMD_PREPARE_BUFFER, session, 1, struct.pack("<bhii", 1, const.CMD_ATTLOG_RRQ, 0, 0)
            )
        )
        (size,) = struct.unpack_from("<I", sock.recv(2048), 9)
        step = 16 * 1024
        for n, start in enumerate(range(0, 3 * step, step)):
            sock.send(zp.make_packet(zp.CMD_READ_BUFFER, session, 10 + n, struct.pack("<ii", start, step)))
        answers = []
        while sum(1 for command, _r in answers if command == const.CMD_ACK_OK) < 3:
            packet = sock.recv(2048)
            assert zp.checksum_ok(packet)
            command, _check, _session, reply, _payload = zp.parse_header(packet)
            answers.append((command, reply))
        sock.close()
    assert size == 4 + 40 * len(RECORDS)
    replies = [reply for _command, reply in answers]
    assert replies == sorted(replies) and set(replies) == {10, 11, 12}
    for reply in (10, 11, 12):
        commands = [c for c, r in answers if r == reply]
        assert commands == [const.CMD_PREPARE_DATA] + [const.CMD_DATA] * 16 + [const.CMD_ACK_OK]
