"""Serve many simulated devices from one process: TCP and UDP on each device's own port.

One selector thread accepts TCP connections and receives UDP datagrams for every device; each TCP
connection gets its own thread (a device handles one client at a time per connection, as pyzk
expects). UDP requests of one device are answered one at a time, in arrival order (its own worker
thread): a device does not interleave the answers to a client's pipelined chunk requests. A multi-packet
TCP answer goes out one write per packet, as devices send it (js_zklib #53 shows PREPARE_DATA, DATA and
ACK_OK in separate segments; node-zklib reads one packet per segment), unless the `one_write` knob is on.
Faults that wait (latency, stall, write_gap) wait on the stop event, so stopping never hangs.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

from ingest import zk_protocol as zp
from ingest.simulator.device import SimDevice, StallForever


class DeviceServer:
    """Serves a set of SimDevices until `stop()`."""

    def __init__(self, devices: list[SimDevice]):
        self.devices = devices
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._listeners: list[socket.socket] = []
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._udp_workers: dict[int, ThreadPoolExecutor] = {}  # per device: one request at a time
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> DeviceServer:
        try:
            for device in self.devices:
                self._bind(device)
        except BaseException:
            self._close_listeners()
            raise
        self._thread = threading.Thread(target=self._loop, name="zk-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_listeners()
        with self._conn_lock:
            for conn in list(self._connections):
                _shutdown(conn)
            self._connections.clear()
        for worker in self._udp_workers.values():
            worker.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> DeviceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _close_listeners(self) -> None:
        for sock in self._listeners:
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self._listeners.clear()

    def bring_online(self, serial: str) -> None:
        """An offline device comes back (its network returns): it listens on the port it was given,
        with its whole log, as a real device does once its link is up again."""
        device = next(d for d in self.devices if d.spec.serial == serial)
        device.faults.offline = False
        self._bind(device)

    def _bind(self, device: SimDevice) -> None:
        spec = device.spec
        wanted = spec.port
        for _attempt in range(50):
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((spec.host, wanted))
            except OSError:
                tcp.close()
                if wanted:
                    raise
                continue
            port = tcp.getsockname()[1]
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((spec.host, port))
            except OSError:
                tcp.close()
                udp.close()
                if wanted:
                    raise
                continue  # the TCP port's UDP twin is taken: try another free port
            spec.port = port
            if device.faults.offline:
                # Nothing listens: TCP connects are refused and UDP answers port-unreachable.
                tcp.close()
                udp.close()
                return
            tcp.listen(64)
            tcp.setblocking(False)
            udp.setblocking(False)
            self._selector.register(tcp, selectors.EVENT_READ, ("tcp", device))
            self._selector.register(udp, selectors.EVENT_READ, ("udp", device))
            self._listeners += [tcp, udp]
            return
        raise OSError(f"no free TCP+UDP port pair for device {spec.serial}")

    # ---- event loop -------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _events in self._selector.select(timeout=0.2):
                kind, device = key.data
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    if kind == "tcp":
                        conn, _addr = sock.accept()
                        conn.setblocking(True)
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        with self._conn_lock:
                            self._connections.add(conn)
                        threading.Thread(
                            target=self._serve_tcp, args=(device, conn), name=f"zk-{device.spec.serial}",
                            daemon=True,
                        ).start()  # fmt: skip
                    else:
                        data, addr = sock.recvfrom(65535)
                        self._udp_worker(device).submit(self._serve_udp, device, sock, data, addr)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    if self._stop.is_set():
                        return

    def _udp_worker(self, device: SimDevice) -> ThreadPoolExecutor:
        worker = self._udp_workers.get(id(device))
        if worker is None:
            worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"zk-udp-{device.spec.serial}")
            self._udp_workers[id(device)] = worker
        return worker

    def _send_tcp(self, device: SimDevice, conn: socket.socket, packets: list[bytes]) -> bool:
        """Send an answer; False when the server is stopping."""
        faults = device.faults
        if faults.one_write:
            conn.sendall(b"".join(zp.tcp_frame(p) for p in packets))
            return True
        for packet in packets:
            if faults.write_gap and self._stop.wait(faults.write_gap):
                return False
            conn.sendall(zp.tcp_frame(packet))
        return True

    def _serve_tcp(self, device: SimDevice, conn: socket.socket) -> None:
        session = None
        try:
            while not self._stop.is_set():
                top = _recv_exact(conn, 8)
                if top is None:
                    return
                if top[:4] != zp.TCP_MAGIC:
                    return  # not the ZK protocol: hang up like a device does
                (length,) = struct.unpack("<I", top[4:])
                packet = _recv_exact(conn, length)
                if packet is None:
                    return
                try:
                    packets, session = device.handle(packet, session, udp=False)
                except StallForever as stall:
                    stream = b"".join(zp.tcp_frame(p) for p in stall.packets)
                    conn.sendall(stream[: len(stream) // 2])
                    self._stop.wait()
                    return
                if device.faults.latency and self._stop.wait(device.faults.latency):
                    return
                if packets and not self._send_tcp(device, conn, packets):
                    return
        except OSError:
            return
        finally:
            device.end_session(session)
            with self._conn_lock:
                self._connections.discard(conn)
            conn.close()

    def _serve_udp(self, device: SimDevice, sock: socket.socket, data: bytes, addr) -> None:
        try:
            try:
                packets, _session = device.handle(data, None, udp=True)
            except StallForever as stall:
                for packet in stall.packets[: max(1, len(stall.packets) // 2)]:
                    sock.sendto(packet, addr)
                return
            if device.faults.latency and self._stop.wait(device.faults.latency):
                return
            for packet in packets:
                if device.faults.write_gap and self._stop.wait(device.faults.write_gap):
                    return
                sock.sendto(packet, addr)
        except OSError:
            return


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    chunks = []
    while size > 0:
        data = conn.recv(min(size, 1 << 20))
        if not data:
            return None
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
