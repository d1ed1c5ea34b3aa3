"""The wire format against public evidence, not against one client: the protocol description
(github.com/adrobinoga/zk-protocol, "ZK protocol" below) and device bytes quoted in public issue
threads. Each test names its source; the bytes are copied from there.

The simulator is driven through `SimDevice.handle()` (the transport-neutral device; the server only
frames what it returns), so each answer can be compared packet by packet with a capture.
"""

from __future__ import annotations

import struct
from datetime import datetime

import pytest
from zk import const

from ingest import zk_protocol as zp
from ingest.attlog_buffer import attlog_copy_text
from ingest.simulator import DeviceSpec, Faults, SimDevice

# js_zklib issue #53 (https://github.com/bulentv/js_zklib/issues/53): the raw TCP stream between a
# client and a ZKTeco K40 reading the attendance log with a direct CMD_ATTLOG_RRQ, one segment a line.
K40_STREAM = [
    "5050827d08000000e80316fc00000100",  # client: CMD_CONNECT
    "5050827d08000000d0078e8ca06b0100",  # device: ACK_OK, session 0x6ba0
    "5050827d080000000d005094a06b0200",  # client: CMD_ATTLOG_RRQ (13), no payload
    "5050827d10000000dc05158aa06b02007c000000f0030000",  # device: PREPARE_DATA (124 bytes, 1008)
    "5050827d84000000dd059426000002007800000040d835802f330100d5dc0100df230100c9010200cb140100d1260200"
    "e50901004b4d0200c3fe0000b173020085f100006d99020047e4000029bf020061d90000a3e5020019d10000c70c0300"
    "01cc00005f2c0300d802000018000000160000000a0000009a19000001340300f00200004800000000280300",  # DATA
    "5050827d08000000e9037390a06b0300",  # client: CMD_EXIT
    "5050827d08000000d007b1f77c000200",  # device: the ACK_OK that closes the data transfer
    "5050827d08000000d0078c8ca06b0300",  # device: ACK_OK to CMD_EXIT
]


def _packet(segment: str) -> bytes:
    """The ZK packet inside one TCP segment (without the 8-byte 5050827d frame)."""
    raw = bytes.fromhex(segment)
    assert raw[:4] == zp.TCP_MAGIC and struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    return raw[8:]


def _header(packet: bytes) -> tuple[int, int, int, int]:
    return struct.unpack_from("<4H", packet)


# ---- checksum ---------------------------------------------------------------------------------
def test_checksum_matches_the_documented_vectors_and_every_captured_packet():
    # ZK protocol, protocol.md "Checksum" test vectors (checksum field zeroed) and its example packet.
    assert zp.checksum(bytes.fromhex("0b000000f38d03005a4b4661636556657273696f6e00")) == 0x175A
    assert zp.checksum(bytes.fromhex("d0070000f38d0a0009")) == 0x6A29
    assert zp.checksum_ok(bytes.fromhex("0B0058EFC5C005007E4F5300"))
    # data-user.md: a CMD_VERIFY_WRQ and a CMD_USER_WRQ packet as sent to a device.
    assert zp.checksum_ok(bytes.fromhex("4F00EA79E78445000D008D" + "00" * 21))
    user_wrq = bytes.fromhex(
        "0800FC579D8A5C00" "0E0006313233343536007C4E7565766F" + "00" * 19 + "8F19000001" + "00" * 8
        + "3131323234343838" + "00" * 16
    )  # fmt: skip
    assert len(user_wrq) == 80 and zp.checksum_ok(user_wrq)
    # js_zklib #53: every packet of the K40 stream, the device's and the client's.
    for segment in K40_STREAM:
        assert zp.checksum_ok(_packet(segment)), segment


def test_every_reply_of_the_simulator_carries_the_standard_checksum():
    device = SimDevice(DeviceSpec("K40SIM", records=[("3", "2018-11-04 21:58:00", 5, 0, 0)]))
    packets, session = device.handle(_packet(K40_STREAM[0]), None, udp=False)
    assert session is not None
    for request in (K40_STREAM[2], K40_STREAM[5]):
        command, _c, _s, reply_id = _header(_packet(request))
        patched = zp.make_packet(command, session.session_id, reply_id)  # the client's request, our session
        more, session = device.handle(patched, session, udp=False)
        packets += more
    assert len(packets) == 5  # ACK_OK; PREPARE_DATA, DATA, ACK_OK; ACK_OK
    for packet in packets:
        assert zp.checksum_ok(packet), packet.hex()


# ---- the direct read (js_zklib #53) -----------------------------------------------------------
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_direct_attlog_read_is_answered_as_the_k40_answers_it(udp):
    records = [("3", "2018-11-04 21:58:00", 5, 0, 0), ("3", "2018-11-04 14:42:00", 5, 0, 0)]
    device = SimDevice(DeviceSpec("K40SIM", records=records, att_format=40))
    _connect, session = device.handle(_packet(K40_STREAM[0]), None, udp=udp)
    assert session is not None
    command, _c, _s, reply_id = _header(_packet(K40_STREAM[2]))
    assert command == const.CMD_ATTLOG_RRQ
    answer, _ = device.handle(zp.make_packet(command, session.session_id, reply_id), session, udp=udp)
    # The K40 answered PREPARE_DATA (size, 1008), then DATA, then ACK_OK, all under the request's
    # reply number (K40_STREAM[3], [4], [6]).
    k40 = [_header(_packet(K40_STREAM[i]))[0] for i in (3, 4, 6)]
    assert (
        [_header(p)[0] for p in answer] == k40 == [const.CMD_PREPARE_DATA, const.CMD_DATA, const.CMD_ACK_OK]
    )
    assert {_header(p)[3] for p in answer} == {reply_id}
    k40_size, k40_second = struct.unpack_from("<II", _packet(K40_STREAM[3]), 8)
    assert (k40_size, k40_second) == (124, 1008)  # 124 = the table: u32 size + 120 bytes of records
    size, second = struct.unpack_from("<II", answer[0], 8)
    table = answer[1][8:]
    assert (size, second) == (len(table), zp.DEVICE_PACKET_DATA) == (4 + 40 * len(records), 1008)
    assert attlog_copy_text(table, len(records), {}).decode().splitlines() == [
        "3\t2018-11-04 14:42:00\t5\t0\t0",
        "3\t2018-11-04 21:58:00\t5\t0\t0",
    ]
    # The user table comes the same way (CMD_USERTEMP_RRQ, 9).
    device.spec.users, device._users = [("3", "Budi")], [(1, "3", "Budi")]
    users, _ = device.handle(
        zp.make_packet(const.CMD_USERTEMP_RRQ, session.session_id, reply_id + 1), session, udp
    )
    assert [_header(p)[0] for p in users] == k40
    assert zp.unpack_users(72, users[1][8 + 4 :]) == [(1, "3", "Budi", 0, "0")]


def test_buffered_read_size_reply_is_the_13_byte_data_stat():
    # ZK protocol, sections/ex_data.md: the ACK_OK to CMD_DATA_WRRQ carries `00`, the dataset size
    # twice, and 4 more bytes ("a kind of checksum"): 13 bytes.
    records = [(str(1000 + i), f"2026-03-02 07:{i % 60:02d}:00", 1, 0, 0) for i in range(100)]
    device = SimDevice(DeviceSpec("S1", records=records))
    _c, session = device.handle(zp.make_packet(const.CMD_CONNECT, 0, 0), None, udp=False)
    request = struct.pack("<bhii", 1, const.CMD_ATTLOG_RRQ, 0, 0)
    (reply,), _ = device.handle(
        zp.make_packet(zp.CMD_PREPARE_BUFFER, session.session_id, 1, request), session, False
    )
    payload = reply[8:]
    assert _header(reply)[0] == const.CMD_ACK_OK and len(payload) == 13 and payload[0] == 0
    assert struct.unpack_from("<II", payload, 1) == (4 + 40 * 100, 4 + 40 * 100)


def test_firmware_knobs_direct_only_and_split_data():
    records = [(str(1000 + i), f"2026-03-02 07:{i % 60:02d}:00", 1, 0, 0) for i in range(100)]
    device = SimDevice(DeviceSpec("S1", records=records, faults=Faults(direct_only=True, split_data=True)))
    _c, session = device.handle(zp.make_packet(const.CMD_CONNECT, 0, 0), None, udp=False)
    request = struct.pack("<bhii", 1, const.CMD_ATTLOG_RRQ, 0, 0)
    (refused,), _ = device.handle(
        zp.make_packet(zp.CMD_PREPARE_BUFFER, session.session_id, 1, request), session, False
    )
    assert _header(refused)[0] == const.CMD_ACK_UNKNOWN
    answer, _ = device.handle(zp.make_packet(const.CMD_ATTLOG_RRQ, session.session_id, 2), session, False)
    data = [p[8:] for p in answer if _header(p)[0] == const.CMD_DATA]
    assert [len(d) for d in data] == [1008, 1008, 1008, 980]  # 4 + 4000 bytes in 1,008-byte packets
    assert b"".join(data) == device._attendance_buffer()


# ---- records ----------------------------------------------------------------------------------
# pyzk issue #99 (https://github.com/fananimi/pyzk/issues/99), a ZEM500: raw 8-byte records with the
# reporter's reading (uid, status = verify 8, punch = state 2, times 12:02:00Z .. 12:04:46Z on
# 2016-01-01; the device clock is local time, UTC+7 for that reporter, hence 19:02 below).
PYZK_99 = ["07002800a8eba71e", "7b0028004beca71e", "7b0028004eeca71e"]


def test_eight_byte_records_from_pyzk_99_decode_with_the_time_at_byte_4():
    buffer = struct.pack("<I", 24) + b"".join(bytes.fromhex(h) for h in PYZK_99)
    text = attlog_copy_text(buffer, 3, {7: "7", 123: "123"}).decode()
    assert text.splitlines() == [
        "7\t2016-01-01 19:02:00\t8\t2\t\\N",
        "123\t2016-01-01 19:04:43\t8\t2\t\\N",
        "123\t2016-01-01 19:04:46\t8\t2\t\\N",
    ]
    # pyzk 0.9's layout (time from byte 3) makes these plausible-looking dates in 2087.
    assert zp.decode_time_text(struct.unpack_from("<I", bytes.fromhex(PYZK_99[0]), 3)[0]).startswith("2087-")
    # ... and the simulator sends exactly these bytes for these punches.
    when = zp.encode_time(datetime(2016, 1, 1, 19, 2, 0))
    assert zp.pack_attendance(8, 7, "7", when, verify=8, state=2, work_code=0).hex() == PYZK_99[0]


def test_eight_byte_records_as_pyzk_56_reported_them():
    # pyzk issue #56 (https://github.com/fananimi/pyzk/issues/56): on 2019-09-30 (get_time() said
    # 11:32:54) pyzk 0.9 printed uid 5 punches as "2110-08-21 16:27:44 (8, 37)": status 8, punch 37.
    # pyzk unpacks `<HB4sB`: byte 2 = 8, bytes 3..6 = the time it printed, byte 7 = 37. Rebuilding the
    # 8 bytes from what it printed and reading the time from byte 4 gives that same morning.
    printed = datetime(2110, 8, 21, 16, 27, 44)
    days = (printed.year - 2000) * 12 * 31 + (printed.month - 1) * 31 + printed.day - 1
    as_pyzk_read = days * 86400 + (printed.hour * 60 + printed.minute) * 60 + printed.second
    record = struct.pack("<HB", 5, 8) + struct.pack("<I", as_pyzk_read) + bytes([37])
    assert record[3] == 0  # the byte pyzk took as the time's lowest is the zero byte of the real layout
    text = attlog_copy_text(struct.pack("<I", 8) + record, 1, {5: "5"}).decode()
    assert text == "5\t2019-09-30 11:01:51\t8\t0\t\\N\n"


def test_forty_byte_record_matches_the_documented_entry():
    # ZK protocol, sections/data-record.md "Example of an Attendance Entry": user index 0x000D, id
    # "999111333", verify type 1, time 0x2368B36B, then `00 00 00 00 FF 00 00 00`.
    entry = bytes.fromhex("0D00393939313131333333000000000000000000000000000000016BB368230000000000FF000000")
    assert len(entry) == 40
    assert zp.pack_attendance(40, 0x0D, "999111333", 0x2368B36B, verify=1, state=0, work_code=0) == entry
    text = attlog_copy_text(struct.pack("<I", 40) + entry, 1, {}).decode()
    assert text == f"999111333\t{zp.decode_time_text(0x2368B36B)}\t1\t0\t0\n"


def test_user_records_match_the_documented_entries():
    # ZK protocol, sections/data-user.md: "Ned" (group 2, own timezones 1 and 2, card 0xDE, id 555)
    # as read from a device, and "Nuevo" (group 1, the group's timezones) as written to one.
    ned = bytes.fromhex(
        "0D000034343400C69A807C4E65640000" + "00" * 16 + "000000DE000000020100010002000000"
        + "35353500" + "00" * 12 + "00" * 8
    )  # fmt: skip
    assert len(ned) == 72
    assert zp.unpack_users(72, ned) == [(0x0D, "555", "Ned", 0, str(0xDE))]
    nuevo = bytes.fromhex(
        "0E0006313233343536007C4E7565766F"
        + "00" * 19
        + "8F19000001"
        + "00" * 8
        + "3131323234343838"
        + "00" * 16
    )
    assert zp.unpack_users(72, nuevo) == [(0x0E, "11224488", "Nuevo", 6, "6543")]
    ours = zp.pack_user(72, 0x0E, "11224488", "Nuevo", privilege=6, card=6543, password="123456")
    # Identical but for byte 10, which the tool that wrote "Nuevo" left as junk after the password's NUL.
    assert [i for i in range(72) if ours[i] != nuevo[i]] == [10]
    # "the name string should be terminated with the null char, so the allowed size ... is really 23"
    long_name = zp.pack_user(72, 1, "1", "N" * 30)
    assert long_name[11 : 11 + 23] == b"N" * 23 and long_name[34] == 0


def test_workcode_option_and_verify_style_commands():
    device = SimDevice(DeviceSpec("S1", records=[]))
    _c, session = device.handle(zp.make_packet(const.CMD_CONNECT, 0, 0), None, udp=False)
    (option,), _ = device.handle(
        zp.make_packet(const.CMD_OPTIONS_RRQ, session.session_id, 1, b"WorkCode\x00"), session, False
    )
    assert _header(option)[0] == const.CMD_ACK_OK and option[8:] == b"WorkCode=0\x00"
    # data-user.md "Set User Verification Mode": user 0x000D to PIN&FP&PW (0x8D), 24-byte payload.
    (ack,), _ = device.handle(
        zp.make_packet(zp.CMD_VERIFY_WRQ, session.session_id, 2, bytes.fromhex("0D008D" + "00" * 21)),
        session,
        False,
    )
    assert _header(ack)[0] == const.CMD_ACK_OK
    (mode,), _ = device.handle(
        zp.make_packet(zp.CMD_VERIFY_RRQ, session.session_id, 3, b"\x0d\x00"), session, False
    )
    assert mode[8:] == bytes.fromhex("0D008D" + "00" * 21)
