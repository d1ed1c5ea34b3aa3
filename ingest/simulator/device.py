"""One simulated ZKTeco device: its data, clock, faults, and the answer to every command.

Transport-neutral: `SimDevice.handle()` takes one request packet and returns the packets to send
back; the server (server.py) frames them for TCP or sends them as UDP datagrams.
"""

from __future__ import annotations

import random
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from zk import const
from zk.base import make_commkey

from ingest import zk_protocol as zp
from ingest.simulator.knobs import parse_knobs

CLOCK_RESET_TIME = datetime(2000, 1, 1)

# Commands a real device accepts without the simulator modelling their effect (LCD, voice, door...).
_ACCEPTED_NOOPS = {
    const.CMD_REFRESHDATA,
    const.CMD_REFRESHOPTION,
    const.CMD_REG_EVENT,
    const.CMD_CANCELCAPTURE,
    const.CMD_STARTVERIFY,
    const.CMD_TESTVOICE,
    const.CMD_UNLOCK,
    const.CMD_OPTIONS_WRQ,
    const.CMD_ENABLE_CLOCK,
    const.CMD_WRITE_LCD,
    const.CMD_CLEAR_LCD,
    const.CMD_STATE_RRQ,
}


@dataclass
class Faults:
    """What can go wrong with one device (all off by default)."""

    offline: bool = False  # nothing listens: connections are refused
    stall: bool = False  # attendance transfer stops half-way and the device never answers again
    latency: float = 0.0  # seconds added before every answer (slow link)
    drop_chunk: int = 0  # the first N attendance chunk transfers each lose one data packet
    clock_reset: bool = False  # battery died: the clock restarted at 2000-01-01 00:00:00
    log_full: bool = False  # the log is at capacity: capacity = records held, new punches are lost
    garbage: bool = False  # corrupt log: every record's time names a day that does not exist (31 Feb)
    # Realism knobs: how real firmwares differ (ingest/zk_protocol.py cites the evidence).
    split_data: bool = False  # DATA goes out as 1,008-byte packets (TCP too), not one packet per chunk
    one_write: bool = False  # PREPARE_DATA, DATA and ACK_OK in one TCP write (default: one write each)
    write_gap: float = 0.0  # seconds before each packet sent, TCP write or UDP datagram (a slow device CPU)
    direct_only: bool = False  # firmware answers only the direct reads (13, 9), not the buffered 1503
    clock_reset_mid: bool = False  # the battery died mid-log: the later half is stamped from 2000-01-01
    empty_first_read: bool = False  # each session's first size query and attendance read say 0 records

    @classmethod
    def parse(cls, spec: str | dict | Faults | None) -> Faults:
        """`Faults`, a dict of fields, or text like 'offline' / 'latency=0.2'."""
        return parse_knobs(cls, spec, "gangguan")


@dataclass
class DeviceSpec:
    """A device as the simulator serves it."""

    serial: str
    records: list[tuple]  # (pin, 'YYYY-MM-DD HH:MM:SS', verify, state, work_code), device order
    users: list[tuple[str, str]] = field(default_factory=list)  # (pin, name)
    name: str = "ZK Simulator"
    host: str = "127.0.0.1"
    port: int = 4370
    timezone: str = "Asia/Jakarta"
    comm_key: int = 0
    att_format: int = 40
    user_format: int = 72
    clock_offset: float = 0.0  # seconds the device clock is ahead of true local time
    clock_drift: float = 0.0  # seconds gained per hour of simulated uptime
    capacity: int = 200_000
    user_capacity: int = 10_000
    platform: str = "ZMM220_TFT"
    firmware: str = "Ver 6.60 Apr 28 2017"
    mac: str = "00:17:61:00:00:00"
    faults: Faults = field(default_factory=Faults)


@dataclass
class Session:
    session_id: int
    authenticated: bool
    udp: bool
    buffer: bytes | None = None
    buffer_kind: int = 0
    reads: int = 0
    sizes_asked: int = 0
    attlog_reads: int = 0


class StallForever(Exception):
    """Raised after sending a partial answer: the transport keeps the peer waiting."""

    def __init__(self, packets: list[bytes]):
        super().__init__("stalled")
        self.packets = packets


class SimDevice:
    def __init__(self, spec: DeviceSpec):
        for pin, *_ in spec.records:
            if not zp.pin_fits(spec.att_format, spec.user_format, pin):
                raise ValueError(
                    f"mesin {spec.serial}: PIN {pin!r} tidak muat di format {spec.att_format}/{spec.user_format}"
                )
        self.spec = spec
        self.faults = spec.faults
        self._lock = threading.Lock()
        self._records = list(spec.records)
        self._capacity = spec.capacity
        if self.faults.log_full:
            self._capacity = min(spec.capacity, len(self._records)) or 1
        del self._records[self._capacity :]
        self._users = self._number_users(spec.users, spec.records)
        self._started = time.monotonic()
        self._clock_base: datetime | None = CLOCK_RESET_TIME if self.faults.clock_reset else None
        self._clock_base_at = self._started
        self._drops_left = self.faults.drop_chunk
        self._att_buffer: bytes | None = None
        self._user_buffer: bytes | None = None
        self._verify_modes: dict[int, int] = {}  # uid -> CMD_VERIFY_WRQ mode (0 = the group's)
        self.enabled = True
        self.sessions: dict[int, Session] = {}
        self.connections = 0

    # ---- data -------------------------------------------------------------------------------
    def _number_users(self, users: list[tuple[str, str]], records: list[tuple]) -> list[tuple[int, str, str]]:
        """(uid, pin, name). The 8-byte attendance format carries only the uid, so there uid = PIN."""
        fmt_att, fmt_user = self.spec.att_format, self.spec.user_format
        numbered = []
        for index, (pin, name) in enumerate(users, start=1):
            if not zp.pin_fits(fmt_att, fmt_user, pin):
                raise ValueError(f"mesin {self.spec.serial}: PIN pengguna {pin!r} tidak muat di format")
            numbered.append((int(pin) if fmt_att == 8 else index, pin, name))
        return numbered

    @property
    def records(self) -> list[tuple]:
        with self._lock:
            return list(self._records)

    def set_users(self, users: list[tuple[str, str]]) -> None:
        """Replace the enrolled users, (pin, name) each: someone enrolled or removed at the machine."""
        with self._lock:
            self._users = self._number_users(users, self._records)
            self._user_buffer = None

    def add_punch(self, pin: str, when: str, verify: int = 1, state: int = 0, work_code: int = 0) -> bool:
        """A new punch on the device; False when the log is full (the punch is lost, as on a real one)."""
        with self._lock:
            if len(self._records) >= self._capacity:
                return False
            self._records.append((pin, when, verify, state, work_code))
            if self._att_buffer is not None:
                # Append to the served log instead of rebuilding 100,000 records per new punch.
                uid = int(pin) if self.spec.att_format == 8 else {p: u for u, p, _ in self._users}.get(pin, 0)
                record = zp.pack_attendance(
                    self.spec.att_format,
                    uid,
                    pin,
                    _encode_text_time(when),
                    verify or 0,
                    state or 0,
                    work_code or 0,
                )
                body = self._att_buffer[4:] + record
                self._att_buffer = struct.pack("<I", len(body)) + body
            return True

    def warm(self) -> None:
        """Build the served tables now (a benchmark should not time the simulator's own set-up)."""
        self._attendance_buffer()
        self._user_buffer_bytes()

    def _attendance_buffer(self) -> bytes:
        with self._lock:
            if self._att_buffer is None:
                uid_of = {pin: uid for uid, pin, _ in self._users}
                fmt = self.spec.att_format
                pack = zp.pack_attendance
                parts = []
                reset_from = len(self._records) // 2 if self.faults.clock_reset_mid else None
                reset_origin = 0
                for index, (pin, when, verify, state, work_code) in enumerate(self._records):
                    uid = int(pin) if fmt == 8 else uid_of.get(pin, 0)
                    if self.faults.garbage:
                        when = "2026-02-31 07:00:00"  # accepted by the ZK encoding, not by a calendar
                    stamp = _encode_text_time(when)
                    if reset_from is not None and index >= reset_from:
                        # The clock restarted at 2000-01-01 00:00:00 when the battery died; later
                        # punches are that far past the reset (ZK time 0 is 2000-01-01 00:00:00).
                        reset_origin = reset_origin or stamp
                        stamp = _reset_clock_time(reset_origin, stamp)
                    parts.append(pack(fmt, uid, pin, stamp, verify or 0, state or 0, work_code or 0))
                body = b"".join(parts)
                self._att_buffer = struct.pack("<I", len(body)) + body
            return self._att_buffer

    def served_records(self) -> list[tuple]:
        """The records as this device serves them (with the clock faults applied), in device order."""
        body = self._attendance_buffer()[4:]
        fmt, pins = self.spec.att_format, {uid: pin for uid, pin, _ in self._users}
        out = []
        for offset in range(0, len(body), fmt):
            record = body[offset : offset + fmt]
            if fmt == 8:
                uid, packed, _r, stamp = struct.unpack("<HBBI", record)
                out.append((pins.get(uid, str(uid)), zp.decode_time_text(stamp), packed & 15, packed >> 4))
            elif fmt == 16:
                pin_no, stamp, verify, state = struct.unpack_from("<IIBB", record)
                out.append((str(pin_no), zp.decode_time_text(stamp), verify, state))
            else:
                _uid, pin_raw, verify, stamp, state = struct.unpack_from("<H24sBIB", record)
                out.append((pin_raw.split(b"\x00")[0].decode(), zp.decode_time_text(stamp), verify, state))
        return out

    def _user_buffer_bytes(self) -> bytes:
        if self._user_buffer is None:
            fmt = self.spec.user_format
            body = b"".join(zp.pack_user(fmt, uid, pin, name) for uid, pin, name in self._users)
            self._user_buffer = struct.pack("<I", len(body)) + body
        return self._user_buffer

    # ---- clock ------------------------------------------------------------------------------
    def clock(self) -> datetime:
        """The device's own local clock (offset, drift, or a reset to 2000)."""
        elapsed = time.monotonic() - self._clock_base_at
        drift = self.spec.clock_drift * (time.monotonic() - self._started) / 3600.0
        if self._clock_base is not None:
            return (self._clock_base + timedelta(seconds=elapsed + drift)).replace(microsecond=0)
        now = datetime.now(ZoneInfo(self.spec.timezone)).replace(tzinfo=None)
        return (now + timedelta(seconds=self.spec.clock_offset + drift)).replace(microsecond=0)

    def set_clock(self, value: datetime) -> None:
        self._clock_base = value
        self._clock_base_at = time.monotonic()

    # ---- protocol ---------------------------------------------------------------------------
    def new_session(self, udp: bool) -> Session:
        with self._lock:
            session_id = random.randint(1, 0xFFFE)
            while session_id in self.sessions:
                session_id = random.randint(1, 0xFFFE)
            session = Session(session_id, authenticated=self.spec.comm_key == 0, udp=udp)
            self.sessions[session_id] = session
            self.connections += 1
            return session

    def end_session(self, session: Session | None) -> None:
        if session is not None:
            with self._lock:
                self.sessions.pop(session.session_id, None)

    def handle(self, packet: bytes, session: Session | None, udp: bool) -> tuple[list[bytes], Session | None]:
        """Answer one request; returns (packets to send, the session now in force)."""
        if len(packet) < 8:
            return [], session
        command, _check, session_id, reply_id, payload = zp.parse_header(packet)

        def reply(code: int, data: bytes = b"") -> list[bytes]:
            sid = session.session_id if session else session_id
            return [zp.make_packet(code, sid, reply_id, data)]

        if command == const.CMD_CONNECT:
            session = self.new_session(udp)
            code = const.CMD_ACK_OK if session.authenticated else const.CMD_ACK_UNAUTH
            return reply(code), session
        if udp and session is None:
            session = self.sessions.get(session_id)
        if session is None:
            return reply(const.CMD_ACK_ERROR_INIT), session
        if command == const.CMD_AUTH:
            session.authenticated = self._check_key(payload, session.session_id)
            return reply(const.CMD_ACK_OK if session.authenticated else const.CMD_ACK_UNAUTH), session
        if not session.authenticated:
            return reply(const.CMD_ACK_UNAUTH), session
        if command == const.CMD_EXIT:
            self.end_session(session)
            return reply(const.CMD_ACK_OK), None
        return self._command(command, payload, session, reply, reply_id), session

    def _check_key(self, payload: bytes, session_id: int) -> bool:
        if len(payload) != 4:
            return False
        ticks = payload[2]  # the third byte carries the ticks in clear (make_commkey)
        return payload == make_commkey(self.spec.comm_key, session_id, ticks)

    def _command(self, command: int, payload: bytes, session: Session, reply, reply_id: int) -> list[bytes]:
        spec = self.spec
        if command == const.CMD_ENABLEDEVICE:
            self.enabled = True
            return reply(const.CMD_ACK_OK)
        if command == const.CMD_DISABLEDEVICE:
            self.enabled = False
            return reply(const.CMD_ACK_OK)
        if command == const.CMD_GET_VERSION:
            return reply(const.CMD_ACK_OK, spec.firmware.encode() + b"\x00")
        if command == const.CMD_OPTIONS_RRQ:
            key = payload.split(b"\x00")[0].decode(errors="replace")
            value = self._options().get(key)
            if value is None:
                return reply(const.CMD_ACK_ERROR)
            return reply(const.CMD_ACK_OK, f"{key}={value}".encode() + b"\x00")
        if command == const.CMD_GET_PINWIDTH:
            return reply(const.CMD_ACK_OK, bytes([14 if spec.att_format == 40 else 9]))
        if command == const.CMD_GET_TIME:
            return reply(const.CMD_ACK_OK, struct.pack("<I", zp.encode_time(self.clock())))
        if command == const.CMD_SET_TIME:
            if len(payload) < 4:
                return reply(const.CMD_ACK_ERROR)
            self.set_clock(zp.decode_time(struct.unpack("<I", payload[:4])[0]))
            return reply(const.CMD_ACK_OK)
        if command == const.CMD_GET_FREE_SIZES:
            session.sizes_asked += 1
            empty = self.faults.empty_first_read and session.sizes_asked == 1
            return reply(const.CMD_ACK_OK, self._free_sizes(empty=empty))
        if command == zp.CMD_PREPARE_BUFFER:
            if self.faults.direct_only:
                return reply(const.CMD_ACK_UNKNOWN)  # this firmware has no buffered read
            return self._prepare_buffer(payload, session, reply)
        if command in (const.CMD_ATTLOG_RRQ, const.CMD_USERTEMP_RRQ):
            # The direct read (js_zklib #53, a K40: `0d00 .... ` with no payload) answered with
            # PREPARE_DATA (size, 1008), DATA (the whole table) and ACK_OK under the request's reply number.
            table = self._table(command, session)
            return self._send_table(table, session, reply_id)
        if command == zp.CMD_VERIFY_WRQ:
            if len(payload) < 3:
                return reply(const.CMD_ACK_ERROR)
            uid, mode = struct.unpack_from("<HB", payload)
            self._verify_modes[uid] = mode
            return reply(const.CMD_ACK_OK)
        if command == zp.CMD_VERIFY_RRQ:
            if len(payload) < 2:
                return reply(const.CMD_ACK_ERROR)
            (uid,) = struct.unpack_from("<H", payload)
            return reply(const.CMD_ACK_OK, struct.pack("<HB21x", uid, self._verify_modes.get(uid, 0)))
        if command == zp.CMD_READ_BUFFER:
            return self._read_buffer(payload, session, reply_id)
        if command == const.CMD_FREE_DATA:
            session.buffer = None
            return reply(const.CMD_ACK_OK)
        if command in (const.CMD_CLEAR_ATTLOG, const.CMD_CLEAR_DATA):
            with self._lock:
                self._records.clear()
                self._att_buffer = None
                if command == const.CMD_CLEAR_DATA:
                    self._users = []
                    self._user_buffer = None
            return reply(const.CMD_ACK_OK)
        if command in (const.CMD_RESTART, const.CMD_POWEROFF):
            self.end_session(session)
            return reply(const.CMD_ACK_OK)
        if command in _ACCEPTED_NOOPS:
            return reply(const.CMD_ACK_OK)
        return reply(const.CMD_ACK_UNKNOWN)

    def _options(self) -> dict[str, str]:
        spec = self.spec
        return {
            "~SerialNumber": spec.serial,
            "~Platform": spec.platform,
            "~DeviceName": spec.name,
            "MAC": spec.mac,
            "~ZKFPVersion": "10",
            "~ExtendFmt": "1" if spec.att_format == 40 else "0",
            "~UserExtFmt": "1" if spec.user_format == 72 else "0",
            "FaceFunOn": "0",
            "CompatOldFirmware": "0",
            "~OS": "1",
            "WorkCode": "0",
            "~PIN2Width": str(14 if spec.att_format == 40 else 9),
            "IPAddress": spec.host,
            "NetMask": "255.255.255.0",
            "GATEIPAddress": "0.0.0.0",
        }

    def _free_sizes(self, *, empty: bool = False) -> bytes:
        with self._lock:
            records = 0 if empty else len(self._records)
        users = len(self._users)
        fields = [0] * 20
        fields[4] = users
        fields[6] = users  # one finger each
        fields[8] = records
        fields[14] = self.spec.user_capacity * 3  # fingers capacity
        fields[15] = self.spec.user_capacity
        fields[16] = self._capacity
        fields[17] = fields[14] - users
        fields[18] = self.spec.user_capacity - users
        fields[19] = max(0, self._capacity - records)
        return struct.pack("<20i", *fields) + struct.pack("<3i", 0, 0, 0)

    def _table(self, what: int, session: Session) -> bytes:
        """The table a read asks for: `u32 size` + records."""
        if what == const.CMD_ATTLOG_RRQ:
            session.attlog_reads += 1
            if self.faults.empty_first_read and session.attlog_reads == 1:
                return struct.pack("<I", 0)
            return self._attendance_buffer()
        if what == const.CMD_USERTEMP_RRQ:
            return self._user_buffer_bytes()
        return struct.pack("<I", 0)  # no fingerprint templates / other tables held

    def _prepare_buffer(self, payload: bytes, session: Session, reply) -> list[bytes]:
        if len(payload) < 11:
            return reply(const.CMD_ACK_ERROR)
        _one, what, _fct, _ext = struct.unpack("<bhii", payload[:11])
        buffer = self._table(what, session)
        if len(buffer) <= zp.UDP_PACKET_DATA - 8:
            # Small tables come back at once, as CMD_DATA (ex_data.md; pyzk's read_with_buffer first branch).
            return reply(const.CMD_DATA, buffer)
        session.buffer, session.buffer_kind, session.reads = buffer, what, 0
        # ex_data.md's `data stat`, 13 bytes: 00, the size twice, then 4 bytes it calls "a kind of
        # checksum" (our CRC-32 of the table; no client reads them).
        size = len(buffer)
        return reply(const.CMD_ACK_OK, b"\x00" + struct.pack("<III", size, size, zlib.crc32(buffer)))

    def _data_packets(self, chunk: bytes, session: Session, reply_id: int) -> list[bytes]:
        if self.faults.split_data:
            step = zp.DEVICE_PACKET_DATA
        elif session.udp:
            step = zp.UDP_PACKET_DATA
        else:
            return [zp.make_packet(const.CMD_DATA, session.session_id, reply_id, chunk)]
        return [
            zp.make_packet(const.CMD_DATA, session.session_id, reply_id, chunk[i : i + step])
            for i in range(0, len(chunk), step)
        ] or [zp.make_packet(const.CMD_DATA, session.session_id, reply_id, b"")]

    def _prepare_packet(self, size: int, session: Session, reply_id: int) -> bytes:
        payload = struct.pack("<II", size, zp.DEVICE_PACKET_DATA)
        return zp.make_packet(const.CMD_PREPARE_DATA, session.session_id, reply_id, payload)

    def _send_table(self, table: bytes, session: Session, reply_id: int) -> list[bytes]:
        ack = zp.make_packet(const.CMD_ACK_OK, session.session_id, reply_id)
        return [
            self._prepare_packet(len(table), session, reply_id),
            *self._data_packets(table, session, reply_id),
            ack,
        ]

    def _read_buffer(self, payload: bytes, session: Session, reply_id: int) -> list[bytes]:
        def packet(code: int, data: bytes = b"") -> bytes:
            return zp.make_packet(code, session.session_id, reply_id, data)

        if session.buffer is None or len(payload) < 8:
            return [packet(const.CMD_ACK_ERROR)]
        start, size = struct.unpack("<ii", payload[:8])
        chunk = session.buffer[start : start + size]
        is_attlog = session.buffer_kind == const.CMD_ATTLOG_RRQ
        session.reads += 1
        prepare = self._prepare_packet(len(chunk), session, reply_id)
        data_packets = self._data_packets(chunk, session, reply_id)
        if is_attlog and self.faults.stall and start + size >= len(session.buffer) // 2:
            # Half-way through the log the device hangs: the transport sends part of this answer,
            # then nothing more.
            raise StallForever([prepare, *data_packets, packet(const.CMD_ACK_OK)])
        if is_attlog and self._drops_left > 0:
            self._drops_left -= 1
            if session.udp and len(data_packets) > 1:
                # A lost datagram: pyzk concatenates what arrives, so the chunk comes back short.
                del data_packets[len(data_packets) // 2]
            else:
                # TCP cannot lose bytes; the device-side equivalent is a chunk it fails to send.
                return [packet(const.CMD_ACK_ERROR)]
        return [prepare, *data_packets, packet(const.CMD_ACK_OK)]


def _reset_clock_time(origin: int, stamp: int) -> int:
    """The ZK time of a clock restarted at 2000-01-01 00:00:00 at `origin`, when the true time is
    `stamp` (both ZK-encoded; the encoding has 31-day months, so re-encode rather than subtract)."""
    elapsed = max(zp.decode_time(stamp) - zp.decode_time(origin), timedelta(0))
    return zp.encode_time(CLOCK_RESET_TIME + elapsed)


def _encode_text_time(text: str) -> int:
    # 'YYYY-MM-DD HH:MM:SS' -> ZK time without building a datetime (100,000 records per device).
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    return ((year % 100) * 12 * 31 + (month - 1) * 31 + day - 1) * 86400 + (hour * 60 + minute) * 60 + second
