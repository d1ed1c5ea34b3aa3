"""The ZK wire format both sides share: packets, checksum, time encoding, user and attendance records.

Layouts follow pyzk 0.9 (zk/base.py, zk/user.py), which is what the pull uses on the client side and
what the simulator must satisfy. Attendance records come in three sizes, users in two:

- attendance  8 bytes `<HB4sB`        uid, verify, time, state               (old ZK6 firmware)
- attendance 16 bytes `<I4sBB2sI`     pin (uint32), time, verify, state, reserved, work code
- attendance 40 bytes `<H24sB4sB8s`   uid, pin (24 chars), verify, time, state, work code (uint32) + 4 spare
- user 28 bytes `<HB5s8sIxBhI`        uid, privilege, password, name, card, group, timezone, pin (uint32)
- user 72 bytes `<HB8s24sIx7sx24s`    uid, privilege, password, name, card, group, pin (24 chars)
"""

from __future__ import annotations

import struct
from datetime import datetime

from zk import const

USHRT_MAX = const.USHRT_MAX
TCP_MAGIC = struct.pack("<HH", const.MACHINE_PREPARE_DATA_1, const.MACHINE_PREPARE_DATA_2)
CMD_PREPARE_BUFFER = 1503  # pyzk: read_with_buffer
CMD_READ_BUFFER = 1504  # pyzk: __read_chunk
TCP_MAX_CHUNK = 0xFFC0  # what pyzk asks per READ_BUFFER over TCP
UDP_MAX_CHUNK = 16 * 1024  # ... and over UDP
UDP_PACKET_DATA = 1024  # pyzk receives UDP data packets with recv(1024 + 8)

ATT_FORMATS = (8, 16, 40)
USER_FORMATS = (28, 72)
_HEADER = struct.Struct("<4H")


def checksum(data: bytes) -> int:
    """pyzk's __create_checksum (zkemsdk.c) in closed form: the loop keeps a running sum folded
    into 0..65535 by subtracting 65535, which equals the sum modulo 65535 with 65535 standing for a
    non-zero multiple; then one's complement."""
    words = len(data) // 2
    total = sum(struct.unpack_from(f"<{words}H", data)) if words else 0
    c = 0 if total == 0 else (total - 1) % USHRT_MAX + 1
    if len(data) % 2:
        c += data[-1]
    while c > USHRT_MAX:
        c -= USHRT_MAX
    c = ~c
    while c < 0:
        c += USHRT_MAX
    return c


def make_packet(command: int, session_id: int, reply_id: int, payload: bytes = b"") -> bytes:
    """Header (command, checksum, session, reply id) + payload, checksum over both as pyzk does."""
    unsigned = _HEADER.pack(command, 0, session_id, reply_id) + payload
    return _HEADER.pack(command, checksum(unsigned), session_id, reply_id) + payload


def tcp_frame(packet: bytes) -> bytes:
    return TCP_MAGIC + struct.pack("<I", len(packet)) + packet


def parse_header(packet: bytes) -> tuple[int, int, int, int, bytes]:
    """command, checksum, session id, reply id, payload."""
    command, check, session_id, reply_id = _HEADER.unpack_from(packet)
    return command, check, session_id, reply_id, packet[8:]


def encode_time(t: datetime) -> int:
    """zkemsdk.c EncodeTime: years since 2000 (mod 100), 12 months of 31 days."""
    return (
        ((t.year % 100) * 12 * 31 + (t.month - 1) * 31 + t.day - 1) * 86400
        + (t.hour * 60 + t.minute) * 60
        + t.second
    )


def decode_time_text(value: int) -> str:
    """DecodeTime straight to 'YYYY-MM-DD HH:MM:SS' (the text COPY wants, no datetime needed).

    Encoded values that name no real day (a 31st of a 30-day month) raise ValueError, as pyzk's
    datetime() does: such a device is sending garbage.
    """
    second = value % 60
    value //= 60
    minute = value % 60
    value //= 60
    hour = value % 24
    value //= 24
    day = value % 31 + 1
    value //= 31
    month = value % 12 + 1
    year = value // 12 + 2000
    if day > 28 and day > _days_in_month(year, month):
        raise ValueError(f"tanggal tidak ada: {year:04d}-{month:02d}-{day:02d}")
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def decode_time(value: int) -> datetime:
    return datetime.strptime(decode_time_text(value), "%Y-%m-%d %H:%M:%S")


def _fixed(text: str, size: int) -> bytes:
    return text.encode("utf-8")[:size].ljust(size, b"\x00")


def pack_user(fmt: int, uid: int, pin: str, name: str, privilege: int = 0, card: int = 0) -> bytes:
    if fmt == 28:
        return struct.pack("<HB5s8sIxBhI", uid, privilege, b"", _fixed(name, 8), card, 1, 0, int(pin))
    return struct.pack("<HB8s24sIx7sx24s", uid, privilege, b"", _fixed(name, 24), card, b"1", _fixed(pin, 24))


def pack_attendance(
    fmt: int, uid: int, pin: str, when: int, verify: int, state: int, work_code: int
) -> bytes:
    if fmt == 8:
        return struct.pack("<HB4sB", uid, verify, struct.pack("<I", when), state)
    if fmt == 16:
        return struct.pack("<I4sBB2sI", int(pin), struct.pack("<I", when), verify, state, b"", work_code)
    return struct.pack(
        "<H24sB4sB8s", uid, _fixed(pin, 24), verify, struct.pack("<I", when), state,
        struct.pack("<I4x", work_code),
    )  # fmt: skip


def pin_fits(fmt_att: int, fmt_user: int, pin: str) -> bool:
    """Whether a PIN can be stored in these record formats (numeric formats need digits)."""
    numeric_limit = {8: 0xFFFF, 16: 0xFFFFFFFF}.get(fmt_att)
    if fmt_user == 28:
        numeric_limit = min(numeric_limit or 0xFFFFFFFF, 0xFFFFFFFF)
    if numeric_limit is None:
        return 0 < len(pin.encode()) <= 24
    return pin.isdigit() and str(int(pin)) == pin and int(pin) <= numeric_limit
