"""A simulated ZKTeco device in ADMS push mode: it calls the server, as a real one does.

What a device does (PUSH SDK; the expectations s0x90/zkteco-adms and saifulcoder/adms-server-ZKTeco
meet in the field), and this simulator with it:

* at start (and after a reboot, a CHECK command or a refusal) it asks for its options,
  `GET /iclock/cdata?SN=…&options=all&pushver=…`, and resumes uploading after the server's
  `ATTLOGStamp` (`None` = from its first record); `ErrorDelay`, `Delay`, `Realtime` come from there;
* it uploads its log in order, in chunks, `POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=<newest record's
  stamp>`, lines `PIN\\ttime\\tstatus\\tverify\\tworkcode\\t0\\t0`, and moves past a chunk only when
  the answer starts with `OK`; any other answer, a refused connection or a cut link: it waits
  `ErrorDelay` seconds and sends the same chunk again (so nothing is lost and the server must not
  count anything twice);
* with `Realtime=1` a new punch is posted at once; every `Delay` seconds it polls
  `GET /iclock/getrequest`, runs the `C:<id>:<cmd>` lines (INFO, CHECK, REBOOT, SET OPTIONS
  DateTime=…; anything else answers Return=-1002 as real firmware does) and posts the results to
  `/iclock/devicecmd`;
* its enrolled users go up once as an OPERLOG post of `USER PIN=…` lines.

A record's stamp is its position in the device log (1, 2, …): opaque to the server, increasing.
Faults: `offline` (no connection at all), `latency` (seconds before each request), `slow` (upload
bytes per second), `flap` (share of requests whose link drops, half of them in the middle of the
body).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from ingest import zk_protocol as zp
from ingest.adms import protocol
from ingest.simulator.knobs import parse_knobs

PUSH_VERSION = "2.4.1"
USER_AGENT = "iClock Proxy/1.09"  # what real devices send
DEFAULT_CHUNK = 500  # records per backlog upload
DEFAULT_ERROR_DELAY = 30.0  # before the first handshake tells it otherwise
DEFAULT_DELAY = 10.0


@dataclass
class PushFaults:
    offline: bool = False
    latency: float = 0.0
    slow: int = 0  # bytes per second of a post body (0 = as fast as the link goes)
    flap: float = 0.0  # 0..1: share of requests whose connection is cut

    @classmethod
    def parse(cls, spec: str | dict | PushFaults | None) -> PushFaults:
        """`PushFaults`, a dict of fields, or text like 'offline' / 'latency=0.2'."""
        return parse_knobs(cls, spec, "gangguan push")


class LinkDropped(Exception):
    """The simulated link was cut."""


@dataclass
class PostRecord:
    """One upload attempt as the device saw it."""

    table: str
    first_stamp: int
    last_stamp: int
    status: str  # ok | error | refused | dropped
    seconds: float
    realtime: bool
    finished: float = field(default_factory=time.perf_counter)  # perf_counter() when the answer came


@dataclass
class AdmsDevice:
    serial: str
    records: list[tuple]  # (pin, 'YYYY-MM-DD HH:MM:SS', verify, state, work_code), device order
    url: str = ""
    users: list[tuple[str, str]] = field(default_factory=list)  # (pin, name)
    timezone: str = "Asia/Jakarta"
    chunk: int = DEFAULT_CHUNK
    faults: PushFaults = field(default_factory=PushFaults)
    token: str = ""  # sent as X-Absensi-Token (what a relay in front of a device adds)
    clock_offset: float = 0.0  # seconds the device clock is ahead of true local time
    seed: int = 0
    name: str = "ZK Push Simulator"
    error_delay: float = DEFAULT_ERROR_DELAY  # until a handshake tells it the server's ErrorDelay

    def __post_init__(self) -> None:
        self._records = list(self.records)
        self._cursor = 0  # records acknowledged by the server (by stamp)
        self._users_sent = False
        self._handshaken = False
        self.options: dict[str, str] = {}
        self.posts: list[PostRecord] = []
        self.commands: list[tuple[int, str, int]] = []  # (id, command, return code) executed
        self.refusals = 0  # 403 answers
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._rng = random.Random(f"{self.seed}:{self.serial}")
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self._next_heartbeat = 0.0
        self._error_delay = self.error_delay
        self.handshakes = 0
        self._delay = DEFAULT_DELAY
        self._realtime = True
        self._realtime_pending = False

    # ---- what a test or the demo drives ------------------------------------------------------
    def start(self) -> AdmsDevice:
        self._client = httpx.Client(
            base_url=self.url, timeout=httpx.Timeout(60.0, connect=5.0), headers={"User-Agent": USER_AGENT}
        )
        self._thread = threading.Thread(target=self._run, name=f"adms-{self.serial}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=70)
        if self._client is not None:
            self._client.close()

    def add_punch(self, pin: str, when: str, verify: int = 1, state: int = 0, work_code: int = 0) -> int:
        """Someone punches: the record joins the log (posted at once in realtime mode); its stamp."""
        with self._lock:
            self._records.append((pin, when, verify, state, work_code))
            self._realtime_pending = True
            self._lock.notify_all()
            return len(self._records)

    def set_faults(self, faults: PushFaults | str) -> None:
        """Change the link's faults while running (e.g. bring an offline link back)."""
        with self._lock:
            self.faults = PushFaults.parse(faults)
            self._lock.notify_all()

    @property
    def acknowledged(self) -> int:
        """How many of its records the server has acknowledged (`OK`) so far."""
        return self._cursor

    @property
    def log(self) -> list[tuple]:
        with self._lock:
            return list(self._records)

    def wait_uploaded(self, timeout: float) -> bool:
        """Until every record so far is acknowledged (or `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._cursor < len(self._records):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
        return True

    def clock(self) -> datetime:
        return datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None) + timedelta(
            seconds=self.clock_offset
        )

    # ---- the device's loop ------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._handshaken:
                    self._handshake()
                if self._handshaken and not self._users_sent and self.users:
                    self._upload_users()
                if self._handshaken and time.monotonic() >= self._next_heartbeat:
                    self._heartbeat()
                if self._handshaken:
                    self._upload_pending()
            except _Retry as retry:
                self._sleep(retry.seconds)
                continue
            self._idle()

    def _idle(self) -> None:
        with self._lock:
            if self._stop.is_set() or (self._realtime and self._cursor < len(self._records)):
                return
            wait = max(0.0, self._next_heartbeat - time.monotonic())
            self._lock.wait(wait if self._realtime else min(wait, 60.0))

    def _sleep(self, seconds: float) -> None:
        """ErrorDelay: new punches wait too (they are in the log, posted after the pause)."""
        self._stop.wait(seconds)

    # ---- requests ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, params: dict, body: bytes | None = None) -> httpx.Response:
        faults = self.faults
        if faults.offline:
            raise _Retry(self._error_delay)
        if faults.latency:
            self._stop.wait(faults.latency)
        drop = bool(faults.flap) and self._rng.random() < faults.flap
        headers = {"X-Absensi-Token": self.token} if self.token else {}
        assert self._client is not None
        try:
            if drop and (body is None or self._rng.random() < 0.5):
                raise LinkDropped("link dropped before the request")
            content: bytes | Iterator[bytes] | None = body
            if body is not None and (faults.slow or drop):
                content = self._trickle(body, faults.slow, cut=drop)
            return self._client.request(
                method, path, params={"SN": self.serial, **params}, content=content, headers=headers
            )
        except (httpx.HTTPError, LinkDropped, OSError) as exc:
            raise _Retry(self._error_delay, str(exc)) from exc

    def _trickle(self, body: bytes, rate: int, *, cut: bool) -> Iterator[bytes]:
        """The body in pieces at `rate` bytes/s; `cut` drops the link half-way through."""
        piece = max(256, rate // 10) if rate else max(1, len(body) // 4)
        sent = 0
        while sent < len(body):
            if cut and sent >= len(body) // 2:
                raise LinkDropped("link dropped in the middle of the body")
            yield body[sent : sent + piece]
            sent += piece
            if rate:
                time.sleep(piece / rate)

    def _handshake(self) -> None:
        response = self._request(
            "GET", "/iclock/cdata", {"options": "all", "pushver": PUSH_VERSION, "language": "83"}
        )
        if response.status_code == 403:
            self.refusals += 1
            raise _Retry(self._error_delay)
        if response.status_code != 200 or not response.text.startswith("GET OPTION FROM"):
            raise _Retry(self._error_delay)
        options = protocol.parse_options(response.text)
        self.options = options
        self._error_delay = float(options.get("ErrorDelay", self._error_delay) or self._error_delay)
        self._delay = float(options.get("Delay", self._delay) or self._delay)
        self._realtime = options.get("Realtime", "1") == "1"
        with self._lock:
            stamp = protocol.parse_stamp(options.get("ATTLOGStamp"))
            self._cursor = min(stamp or 0, len(self._records))
            self._lock.notify_all()
        self._users_sent = protocol.parse_stamp(options.get("OPERLOGStamp")) is not None
        self._handshaken = True
        self.handshakes += 1
        self._next_heartbeat = time.monotonic()

    def _post(self, table: str, stamp: int, lines: Sequence[str]) -> httpx.Response:
        body = "".join(lines).encode()
        return self._request("POST", "/iclock/cdata", {"table": table, "Stamp": str(stamp)}, body)

    def _upload_pending(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                start = self._cursor
                batch = self._records[start : start + self.chunk]
                realtime = self._realtime_pending and len(batch) <= 10
                self._realtime_pending = False
            if not batch:
                return
            first, last = start + 1, start + len(batch)
            lines = [_line(record) for record in batch]
            t0 = time.perf_counter()
            try:
                response = self._post("ATTLOG", last, lines)
            except _Retry:
                self.posts.append(
                    PostRecord("ATTLOG", first, last, "dropped", time.perf_counter() - t0, realtime)
                )
                raise
            seconds = time.perf_counter() - t0
            if response.status_code == 200 and response.text.startswith("OK"):
                self.posts.append(PostRecord("ATTLOG", first, last, "ok", seconds, realtime))
                with self._lock:
                    self._cursor = max(self._cursor, last)
                    self._lock.notify_all()
                continue
            status = "refused" if response.status_code == 403 else "error"
            self.posts.append(PostRecord("ATTLOG", first, last, status, seconds, realtime))
            if response.status_code == 403:
                self.refusals += 1
                self._handshaken = False
            raise _Retry(self._error_delay)

    def _upload_users(self) -> None:
        lines = [
            f"USER PIN={pin}\tName={name}\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\n"
            for pin, name in self.users
        ]
        response = self._post("OPERLOG", len(lines), lines)
        if response.status_code == 200 and response.text.startswith("OK"):
            self._users_sent = True
            return
        raise _Retry(self._error_delay)

    def _heartbeat(self) -> None:
        self._next_heartbeat = time.monotonic() + self._delay
        response = self._request("GET", "/iclock/getrequest", {})
        if response.status_code == 403:
            self.refusals += 1
            self._handshaken = False
            raise _Retry(self._error_delay)
        if response.status_code != 200:
            raise _Retry(self._error_delay)
        commands = protocol.parse_commands(response.text)
        if not commands:
            return
        results = [self._execute(command_id, command) for command_id, command in commands]
        body = "".join(protocol.result_line(*result) for result in results)
        reply = self._request("POST", "/iclock/devicecmd", {}, body.encode())
        if reply.status_code != 200:
            raise _Retry(self._error_delay)
        if any(cmd == "REBOOT" for _i, _code, cmd, _v in results):
            self._handshaken = False  # it comes back and asks for its options again
            raise _Retry(min(1.0, self._error_delay))

    def _execute(self, command_id: int, command: str) -> tuple[int, int, str, dict[str, str]]:
        """(id, Return, CMD, values) of one server command, as firmware answers it."""
        verb = command.split(" ", 1)[0]
        code, values = 0, {}
        if command == "INFO":
            with self._lock:
                count = len(self._records)
            values = {
                "~DeviceName": self.name,
                "MAC": "00:17:61:00:00:00",
                "TransactionCount": str(count),
                "MaxAttLogCount": "200000",
                "UserCount": str(len(self.users)),
                "FWVersion": "Ver 8.0.4.2-20230101",
                "PushVersion": PUSH_VERSION,
                "DateTime": f"{self.clock():%Y-%m-%d %H:%M:%S}",
            }
        elif command == "CHECK":
            self._handshaken = False
        elif command == "REBOOT":
            pass
        elif command.startswith("SET OPTIONS DateTime="):
            value = command.partition("=")[2]
            try:
                wanted = zp.decode_time(int(value))
            except ValueError:
                code = -1002
            else:
                true_local = datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)
                self.clock_offset = (wanted - true_local).total_seconds()
            verb = "SET OPTIONS"
        else:
            code = -1002  # what firmware answers to a command it does not know
        self.commands.append((command_id, command, code))
        return command_id, code, verb, values


class _Retry(Exception):
    def __init__(self, seconds: float, reason: str = ""):
        super().__init__(reason)
        self.seconds = seconds


def _line(record: tuple) -> str:
    pin, when, verify, state, work = record
    return f"{pin}\t{when}\t{_n(state)}\t{_n(verify)}\t{_n(work)}\t0\t0\n"


def _n(value: int | None) -> str:
    return "" if value is None else str(value)
