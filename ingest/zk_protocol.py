"""The ZK wire format both sides share: packets, checksum, time encoding, user and attendance records.

Checked against the public protocol description (github.com/adrobinoga/zk-protocol: protocol.md,
sections/ex_data.md, data-user.md, data-record.md) and device bytes quoted in public issue threads
(pyzk #56 and #99: 8-byte records of ZEM500-era devices; js_zklib #53: a K40's TCP stream), not
against one client: pyzk 0.9 gets the 8-byte record wrong (see ATT_LAYOUTS). Attendance records come in
three sizes, users in two:

- attendance  8 bytes `<HBBI`         uid, verify | state << 4, reserved, time   (ZEM500 era; pyzk #99)
- attendance 16 bytes `<I4sBB2sI`     pin (uint32), time, verify, state, reserved, work code
- attendance 40 bytes `<H24sB4sB8s`   uid, pin (24 chars), verify, time, state, work code (uint32),
                                      then `FF 00 00 00` (data-record.md's example entry)
- user 28 bytes `<HB5s8sIxBhI`        uid, privilege, password, name, card, group, timezone, pin (uint32)
- user 72 bytes `<HB8s24sIB8s24s`     uid, privilege, password, name (23 chars + NUL), card, group,
                                      user-timezone flag + 3 timezones (zeros: the group's), pin (24 chars)
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
CMD_VERIFY_WRQ = 79  # protocol.md: change a user's verification style (pyzk 0.9 has no constant)
CMD_VERIFY_RRQ = 80  # ... and read it
# PREPARE_DATA's second value as a K40 sends it (js_zklib #53: `dc05 .... 7c000000 f0030000`), and
# the DATA packet size of firmwares that split a chunk into many packets.
DEVICE_PACKET_DATA = 1008

ATT_FORMATS = (8, 16, 40)
USER_FORMATS = (28, 72)
_HEADER = struct.Struct("<4H")


def checksum(data: bytes) -> int:
    """The packet checksum as protocol.md specifies it: the 16-bit little-endian words (an odd last
    byte padded with zero) summed, the carry folded back in, then one's complement.

    Every captured device packet carries this value (protocol.md's test vectors, js_zklib #53's K40
    stream). pyzk's helper (zkemsdk.c's loop) yields one less, and pyzk computes it before it bumps
    the reply number, which adds the one back: its requests are right, its helper is not.
    """
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"<{len(data) // 2}H", data)) if data else 0
    while total > USHRT_MAX:
        total = (total & USHRT_MAX) + (total >> 16)
    return total ^ USHRT_MAX


def checksum_ok(packet: bytes) -> bool:
    """Whether a packet (header + payload, no TCP frame) carries the standard checksum."""
    return (
        len(packet) >= 8 and checksum(packet[:2] + b"\x00\x00" + packet[4:]) == _HEADER.unpack_from(packet)[1]
    )


def make_packet(command: int, session_id: int, reply_id: int, payload: bytes = b"") -> bytes:
    """Header (command, checksum, session, reply id) + payload, the checksum over both."""
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


def _c_string(text: str, size: int) -> bytes:
    """A NUL-terminated string in a field of `size` bytes: at most size - 1 bytes of text (data-user.md:
    "the name string should be terminated with the null char, so the allowed size ... is really 23"),
    cut on a character boundary."""
    encoded = text.encode("utf-8")[: size - 1]
    return encoded.decode("utf-8", errors="ignore").encode("utf-8").ljust(size, b"\x00")


def pack_user(
    fmt: int,
    uid: int,
    pin: str,
    name: str,
    privilege: int = 0,
    card: int = 0,
    group: int = 1,
    password: str = "",
) -> bytes:
    if fmt == 28:
        return struct.pack(
            "<HB5s8sIxBhI", uid, privilege, _fixed(password, 5), _fixed(name, 8), card, group, 0, int(pin)
        )
    # byte 39 is the group number, bytes 40..47 the user-timezone flag and three timezones (all zero:
    # the user follows the group's), as in data-user.md's example entries.
    return struct.pack(
        "<HB8s24sIB8s24s",
        uid,
        privilege,
        _fixed(password, 8),
        _c_string(name, 24),
        card,
        group,
        b"",
        _fixed(pin, 24),
    )


def unpack_users(fmt: int, body: bytes) -> list[tuple[int, str, str, int, str]]:
    """(uid, pin, name, privilege, card) of every user record in `body` (the table without its size)."""
    users = []
    for offset in range(0, len(body) - fmt + 1, fmt):
        if fmt == 28:
            uid, privilege, _pw, name, card, _group, _tz, pin_no = struct.unpack_from(
                "<HB5s8sIxBhI", body, offset
            )
            pin = str(pin_no)
        else:
            uid, privilege, _pw, name, card, _group, _tzs, pin_raw = struct.unpack_from(
                "<HB8s24sIB8s24s", body, offset
            )
            pin = pin_raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
        users.append(
            (
                uid,
                pin,
                name.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip(),
                privilege,
                str(card),
            )
        )
    return users


def pack_attendance(
    fmt: int, uid: int, pin: str, when: int, verify: int, state: int, work_code: int
) -> bytes:
    if fmt == 8:
        # pyzk #99 (a ZEM500, raw `07002800a8eba71e`): uid, verify in the low and state in the high
        # nibble of byte 2, byte 3 zero, the time from byte 4. pyzk 0.9 reads the time from byte 3.
        return struct.pack("<HBBI", uid, (verify & 0x0F) | ((state & 0x0F) << 4), 0, when)
    if fmt == 16:
        return struct.pack("<I4sBB2sI", int(pin), struct.pack("<I", when), verify, state, b"", work_code)
    return struct.pack(
        "<H24sB4sB8s", uid, _fixed(pin, 24), verify, struct.pack("<I", when), state,
        struct.pack("<I", work_code) + b"\xff\x00\x00\x00",
    )  # fmt: skip


def pin_fits(fmt_att: int, fmt_user: int, pin: str) -> bool:
    """Whether a PIN can be stored in these record formats (numeric formats need digits)."""
    numeric_limit = {8: 0xFFFF, 16: 0xFFFFFFFF}.get(fmt_att)
    if fmt_user == 28:
        numeric_limit = min(numeric_limit or 0xFFFFFFFF, 0xFFFFFFFF)
    if numeric_limit is None:
        return 0 < len(pin.encode()) <= 24
    return pin.isdigit() and str(int(pin)) == pin and int(pin) <= numeric_limit
