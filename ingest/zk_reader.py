"""Reading a device's tables (attendance log, users) on a connection pyzk opened.

pyzk 0.9 connects, authenticates and runs the small commands well, but its table reads only work
with the answers shaped as it expects: it times out when a chunk's DATA comes as several packets that
arrive together over TCP (firmwares that send 1,008-byte packets), it cannot read a firmware that has
only the direct reads (`CMD_ATTLOG_RRQ` / `CMD_USERTEMP_RRQ` with no payload, js_zklib #53), and its
8-byte attendance record is wrong (ingest/zk_protocol.py). This reader speaks the exchange as
sections/ex_data.md of the protocol description gives it, on pyzk's own socket and session:

    CMD_DATA_WRRQ (1503, what)   -> CMD_DATA (small table)  |  CMD_ACK_OK (00, size, size, ...)
    CMD_DATA_RDY (1504, start, n) -> CMD_PREPARE_DATA (n, ...), CMD_DATA ... (n bytes), CMD_ACK_OK
    a firmware without 1503: the direct read `what` -> PREPARE_DATA, DATA ..., ACK_OK

It reads frames one by one whatever the segmentation, matches answers to requests by reply number
(a late packet of an earlier answer is skipped), reads a short UDP chunk again (a lost datagram), and
hands pyzk back the reply number so the session carries on.
"""

from __future__ import annotations

import socket
import struct

from zk import const

from ingest import zk_protocol as zp

_CHUNK_ATTEMPTS = 3


class ZkReadError(Exception):
    """The device's answer to a table read cannot be used (the message says which step)."""


class TableReader:
    def __init__(self, link):
        # pyzk keeps its session private; these names are the whole of what is borrowed
        # (pyzk 0.9, pinned in requirements.lock).
        self._link = link
        self._sock: socket.socket = link._ZK__sock
        self._tcp: bool = link.tcp
        self._session: int = link._ZK__session_id
        self._reply: int = link._ZK__reply_id
        self._pending = b""  # TCP bytes received past the last frame

    # ---- tables -------------------------------------------------------------------------------
    def read_table(self, what: int, fct: int = 0) -> bytes:
        """The table `what` (const.CMD_ATTLOG_RRQ, CMD_USERTEMP_RRQ): `u32 size` + records."""
        try:
            return self._read_table(what, fct)
        finally:
            self._link._ZK__reply_id = self._reply  # the next pyzk command continues the numbering

    def _read_table(self, what: int, fct: int) -> bytes:
        reply_id = self._send(zp.CMD_PREPARE_BUFFER, struct.pack("<bhii", 1, what, fct, 0))
        command, payload = self._answer(reply_id)
        if command == const.CMD_DATA:
            return payload
        if command in (const.CMD_ACK_UNKNOWN, const.CMD_ACK_ERROR):
            return self._direct_read(what)
        if command != const.CMD_ACK_OK or len(payload) < 5:
            raise ZkReadError(f"jawaban tidak dikenal atas permintaan tabel {what}: perintah {command}")
        (size,) = struct.unpack_from("<I", payload, 1)
        step = zp.TCP_MAX_CHUNK if self._tcp else zp.UDP_MAX_CHUNK
        parts = [self._read_chunk(start, min(step, size - start)) for start in range(0, size, step)]
        self._command(const.CMD_FREE_DATA)
        return b"".join(parts)

    def _direct_read(self, what: int) -> bytes:
        for _attempt in range(_CHUNK_ATTEMPTS):
            reply_id = self._send(what, b"")
            data = self._receive_data(reply_id)
            if data is not None:
                return data
        raise ZkReadError(f"pembacaan langsung tabel {what} tidak lengkap setelah {_CHUNK_ATTEMPTS} kali")

    def _read_chunk(self, start: int, size: int) -> bytes:
        for _attempt in range(_CHUNK_ATTEMPTS):
            reply_id = self._send(zp.CMD_READ_BUFFER, struct.pack("<ii", start, size))
            data = self._receive_data(reply_id)
            if data is not None and len(data) == size:
                return data
        raise ZkReadError(f"potongan data {start}+{size} tidak lengkap setelah {_CHUNK_ATTEMPTS} kali")

    def _receive_data(self, reply_id: int) -> bytes | None:
        """PREPARE_DATA, DATA packets up to the announced size, ACK_OK; None when the device refuses
        or the data comes back short (a lost datagram)."""
        command, payload = self._answer(reply_id)
        if command == const.CMD_DATA:  # some firmwares skip PREPARE_DATA for a single packet
            return payload
        if command != const.CMD_PREPARE_DATA or len(payload) < 4:
            return None
        (size,) = struct.unpack_from("<I", payload)
        parts, received = [], 0
        while True:
            command, payload = self._answer(reply_id)
            if command == const.CMD_DATA:
                parts.append(payload)
                received += len(payload)
                if received >= size and self._tcp:
                    command, payload = self._answer(reply_id)  # the closing ACK_OK
                    break
                continue
            break
        data = b"".join(parts)
        if command != const.CMD_ACK_OK or len(data) != size:
            return None
        return data

    # ---- packets ------------------------------------------------------------------------------
    def _command(self, command: int, payload: bytes = b"") -> int:
        reply_id = self._send(command, payload)
        return self._answer(reply_id)[0]

    def _send(self, command: int, payload: bytes) -> int:
        self._reply = (self._reply + 1) % zp.USHRT_MAX
        packet = zp.make_packet(command, self._session, self._reply, payload)
        if self._tcp:
            self._sock.sendall(zp.tcp_frame(packet))
        else:
            self._sock.sendto(packet, self._link._ZK__address)
        return self._reply

    def _answer(self, reply_id: int) -> tuple[int, bytes]:
        """The next packet answering `reply_id` (command, payload); earlier answers are skipped."""
        while True:
            packet = self._next_packet()
            command, _check, _session, reply, payload = zp.parse_header(packet)
            if reply == reply_id:
                return command, payload

    def _next_packet(self) -> bytes:
        if not self._tcp:
            return self._sock.recv(65535)
        top = self._recv_exact(8)
        if top[:4] != zp.TCP_MAGIC:
            raise ZkReadError("aliran TCP dari mesin rusak (bukan paket ZK)")
        (length,) = struct.unpack_from("<I", top, 4)
        return self._recv_exact(length)

    def _recv_exact(self, size: int) -> bytes:
        while len(self._pending) < size:
            data = self._sock.recv(max(size - len(self._pending), 1 << 16))
            if not data:
                raise ZkReadError("mesin menutup sambungan di tengah pengiriman data")
            self._pending += data
        out, self._pending = self._pending[:size], self._pending[size:]
        return out
