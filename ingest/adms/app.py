"""The ADMS push receiver as an ASGI application (Starlette): `/iclock/*` for devices, `/healthz`.

Only devices registered with `protocol = push` (and active) are heard; any other serial gets 403
and nothing is stored, so the device keeps its log and resends once it is registered. A registry
row may also demand a source address (`push_allow`) and a shared token (`push_token_ref` names the
environment variable; a relay in front of the device sends it as the `X-Absensi-Token` header).
Answers never repeat a token, a registry detail or a database error text to the device.

A punch post is answered `OK: <n>` only after the store committed it (see ingest.adms.store); any
failure is an error status, and the device resends after `ErrorDelay` seconds.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ingest.adms import protocol, store
from ingest.raw_loader import utcnow
from ingest.registry import Device
from warehouse.settings import AdmsSettings

TOKEN_HEADER = "x-absensi-token"
JOB_TIMEOUT = 60.0  # seconds a request waits for the store before the device is told to resend
_LOG_EVERY = 300.0  # the same warning (e.g. an unknown serial knocking) at most every 5 minutes


def log_stderr(message: str) -> None:
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} adms: {message}", file=sys.stderr, flush=True)


@dataclass
class Stats:
    """What the receiver did since it started (shown by /healthz and the periodic summary line)."""

    posts: int = 0
    records: int = 0
    records_new: int = 0
    refused: int = 0
    failed: int = 0
    devices: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {
            "posts": self.posts,
            "records": self.records,
            "records_new": self.records_new,
            "refused": self.refused,
            "failed": self.failed,
            "devices": len(self.devices),
        }


class Receiver:
    """The application's state: registry cache, store, settings, warning throttle."""

    def __init__(
        self, url: str, adms: AdmsSettings, timezone: str, log: Callable[[str], None], registry_retry: float
    ):
        self.adms = adms
        self.registry = store.Registry(url, timezone, retry=registry_retry)
        self.store = store.Store(url)
        self.log = log
        self.stats = Stats()
        self._warned: dict[str, float] = {}

    def warn(self, key: str, message: str) -> None:
        now = time.monotonic()
        if now - self._warned.get(key, -1e9) >= _LOG_EVERY:
            self._warned[key] = now
            self.log(message)

    async def run(self, job: store.Job) -> object:
        """Submit a job and wait for the store's answer (after commit)."""
        future = self.store.submit(job)
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), JOB_TIMEOUT)


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


class Refused(Exception):
    def __init__(self, response: Response):
        self.response = response


async def _device(receiver: Receiver, request: Request) -> tuple[Device, str | None]:
    """The registered push device making this request, or Refused (400/403/503)."""
    serial = request.query_params.get("SN", "")
    remote = request.client.host if request.client else None
    if not protocol.SERIAL_RE.match(serial):
        raise Refused(_text("ERROR: SN tidak sah", 400))
    try:
        device, fresh = receiver.registry.cached(serial)
        if not fresh:
            device = await run_in_threadpool(receiver.registry.get, serial)
    except Exception as exc:  # noqa: BLE001 - the registry lives in the warehouse
        receiver.warn("registry", f"daftar mesin tidak dapat dibaca: {exc}")
        raise Refused(_text("ERROR: server sibuk", 503)) from exc
    if device is None:
        receiver.stats.refused += 1
        receiver.warn(
            f"unknown:{serial}",
            f"mesin {serial} dari {remote} ditolak (403): tidak terdaftar sebagai mesin push aktif; "
            "daftarkan di devices.csv dengan protocol push lalu `absensi load devices`",
        )
        raise Refused(_text("ERROR: mesin tidak terdaftar", 403))
    if device.push_allow and not _allowed(remote, device.push_allow):
        receiver.stats.refused += 1
        receiver.warn(
            f"address:{serial}:{remote}",
            f"mesin {serial}: alamat {remote} tidak ada di push_allow; ditolak (403)",
        )
        raise Refused(_text("ERROR: alamat tidak diizinkan", 403))
    if device.push_token_ref:
        expected = receiver.adms.tokens.get(device.push_token_ref, "").strip()
        given = request.headers.get(TOKEN_HEADER, "")
        if not expected:
            receiver.warn(
                f"token-unset:{serial}",
                f"mesin {serial}: variabel {device.push_token_ref} tidak diisi di server; kiriman ditolak (403)",
            )
            raise Refused(_text("ERROR: token", 403))
        if not hmac.compare_digest(given.encode(), expected.encode()):
            receiver.stats.refused += 1
            receiver.warn(
                f"token:{serial}", f"mesin {serial} dari {remote}: token salah atau tidak ada; ditolak (403)"
            )
            raise Refused(_text("ERROR: token", 403))
    return device, remote


def _allowed(remote: str | None, networks: tuple) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


async def _body(receiver: Receiver, request: Request) -> tuple[bytes, bool]:
    """The request body, or its first `max_body_bytes` + 1 and True when it is larger."""
    limit = receiver.adms.max_body_bytes
    declared = request.headers.get("content-length", "")
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or (declared.isdigit() and int(declared) > limit):
            return b"".join(chunks)[: limit + 1], True
    return b"".join(chunks), False


def _guarded(handler: Callable) -> Callable:
    """Turn refusals and store trouble into the answers devices understand (an error status makes
    the device keep its data and resend after ErrorDelay)."""

    async def endpoint(request: Request) -> Response:
        receiver: Receiver = request.app.state.receiver
        try:
            return await handler(receiver, request)
        except Refused as refused:
            return refused.response
        except ClientDisconnect:
            # The link dropped mid-post: nothing was queued; the device sends it again.
            return _text("ERROR: kiriman terputus", 400)
        except (store.StoreUnavailable, TimeoutError) as exc:
            receiver.stats.failed += 1
            receiver.warn(
                f"store:{type(exc).__name__}", f"kiriman belum tersimpan, mesin akan mengirim ulang: {exc}"
            )
            return _text("ERROR: server sibuk, kirim ulang", 503)

    return endpoint


async def cdata(receiver: Receiver, request: Request) -> Response:
    device, remote = await _device(receiver, request)
    received_at = utcnow()
    query = request.query_params
    if request.method == "GET":
        stamps = await receiver.run(
            store.Touch(
                device.device_sn,
                received_at,
                remote,
                request="handshake",
                push_version=query.get("pushver"),
                timezone=device.timezone,
            )
        )
        assert isinstance(stamps, protocol.Stamps)
        return _text(
            protocol.options_reply(
                device.device_sn,
                stamps,
                timezone=device.timezone,
                at=received_at,
                delay=receiver.adms.delay,
                error_delay=receiver.adms.error_delay,
            )
        )
    table = query.get("table", "").strip().upper()
    stamp = protocol.parse_stamp(query.get("Stamp"))
    body, too_large = await _body(receiver, request)
    sha = store.body_sha256(body)
    if too_large:
        await receiver.run(
            store.FailedPost(
                device.device_sn,
                received_at,
                remote,
                table=table or "?",
                stamp=stamp,
                error=f"mesin {device.device_sn}: kiriman {table} lebih dari {receiver.adms.max_body_bytes} byte "
                "(ABSENSI_ADMS_MAX_BODY); ditolak",
                sha256=sha,
            )
        )
        receiver.stats.failed += 1
        return _text("ERROR: kiriman terlalu besar", 413)
    receiver.stats.devices.add(device.device_sn)
    if table == "ATTLOG":
        try:
            parsed = protocol.parse_attlog(body)
        except protocol.PushDataError as exc:
            return await _refuse_garbage(receiver, device, remote, received_at, table, stamp, sha, exc)
        if parsed.records == 0:  # an empty upload: nothing to store, no batch row
            await receiver.run(
                store.StampOnly(device.device_sn, received_at, remote, table=table, stamp=stamp)
            )
            return _text("OK: 0")
        result = await receiver.run(
            store.PunchPost(device.device_sn, received_at, remote, stamp=stamp, parsed=parsed, sha256=sha)
        )
        receiver.stats.posts += 1
        receiver.stats.records += parsed.records
        receiver.stats.records_new += getattr(result, "records_new", 0)
        return _text(f"OK: {parsed.records}")
    if table in ("OPERLOG", *protocol.USER_TABLES):
        try:
            operations = protocol.parse_operlog(body, table)
        except protocol.PushDataError as exc:
            return await _refuse_garbage(receiver, device, remote, received_at, table, stamp, sha, exc)
        await receiver.run(
            store.UserPost(
                device.device_sn, received_at, remote, table=table, stamp=stamp, parsed=operations, sha256=sha
            )
        )
        receiver.stats.posts += 1
        return _text(f"OK: {len(operations.users) + operations.operations + operations.ignored}")
    if table in protocol.IGNORED_TABLES:
        # Photos and biometric templates: acknowledged so the device moves on, never stored.
        await receiver.run(store.StampOnly(device.device_sn, received_at, remote, table=table, stamp=stamp))
        return _text("OK")
    if table:
        receiver.warn(
            f"table:{device.device_sn}:{table}",
            f"mesin {device.device_sn}: tabel {table!r} tidak dikenal, diabaikan",
        )
    await receiver.run(store.Touch(device.device_sn, received_at, remote, request=table or "options"))
    return _text("OK")


async def _refuse_garbage(
    receiver: Receiver,
    device: Device,
    remote: str | None,
    received_at: datetime,
    table: str,
    stamp: int | None,
    sha: str,
    exc: protocol.PushDataError,
) -> Response:
    """A post with bad lines: nothing of it is stored, a failed batch names the lines (once per
    distinct body), and the device is told so (it keeps the data; the operator sees why)."""
    error = f"mesin {device.device_sn}: kiriman {table} ditolak seluruhnya, {exc}"
    await receiver.run(
        store.FailedPost(
            device.device_sn,
            received_at,
            remote,
            table=table,
            stamp=stamp,
            error=error,
            sha256=sha,
            records_read=exc.lines,
        )
    )
    receiver.stats.failed += 1
    receiver.warn(f"garbage:{device.device_sn}:{sha}", error)
    return _text("ERROR: data rusak, lihat raw.ingest_batch", 400)


async def getrequest(receiver: Receiver, request: Request) -> Response:
    device, remote = await _device(receiver, request)
    commands = await receiver.run(
        store.Touch(device.device_sn, utcnow(), remote, request="heartbeat", timezone=device.timezone)
    )
    assert isinstance(commands, list)
    return _text(protocol.commands_reply(commands))


async def devicecmd(receiver: Receiver, request: Request) -> Response:
    device, remote = await _device(receiver, request)
    body, too_large = await _body(receiver, request)
    if too_large:
        return _text("ERROR: kiriman terlalu besar", 413)
    results = protocol.parse_command_results(body.decode("utf-8", errors="replace"))
    await receiver.run(store.Results(device.device_sn, utcnow(), remote, results=results))
    return _text("OK")


async def ping(receiver: Receiver, request: Request) -> Response:
    device, remote = await _device(receiver, request)
    await receiver.run(store.Touch(device.device_sn, utcnow(), remote, request="ping"))
    return _text("OK")


async def registry(receiver: Receiver, request: Request) -> Response:
    device, remote = await _device(receiver, request)
    await _body(receiver, request)
    await receiver.run(store.Touch(device.device_sn, utcnow(), remote, request="registry"))
    return _text("OK")


async def healthz(request: Request) -> Response:
    receiver: Receiver = request.app.state.receiver
    try:
        future = receiver.store.submit(store.Ping("-", utcnow(), None))
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), 5.0)
    except Exception as exc:  # noqa: BLE001 - unhealthy, whatever the reason (details in the log)
        receiver.warn("healthz", f"pemeriksaan kesehatan gagal: {exc}")
        return JSONResponse({"status": "error", "database": type(exc).__name__}, 503)
    return JSONResponse(
        {
            "status": "ok",
            "queue": receiver.store.backlog,
            "transactions": receiver.store.groups,
            **receiver.stats.as_dict(),
        }
    )


def create_app(
    url: str,
    adms: AdmsSettings,
    timezone: str,
    *,
    log: Callable[[str], None] = log_stderr,
    registry_retry: float = 5.0,
) -> Starlette:
    """The receiver for the warehouse at `url`; the writer thread runs while the app is served.
    `registry_retry`: seconds before an unknown serial makes the registry be read again."""
    receiver = Receiver(url, adms, timezone, log, registry_retry)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        receiver.store.start()
        try:
            await run_in_threadpool(receiver.registry.load)
        except Exception as exc:  # noqa: BLE001 - start anyway; devices are refused 503 until it answers
            log(f"daftar mesin belum dapat dibaca: {exc}")
        yield
        await run_in_threadpool(receiver.store.stop)

    app = Starlette(
        routes=[
            Route("/iclock/cdata", _guarded(cdata), methods=["GET", "POST"]),
            Route("/iclock/getrequest", _guarded(getrequest), methods=["GET"]),
            Route("/iclock/devicecmd", _guarded(devicecmd), methods=["POST"]),
            Route("/iclock/ping", _guarded(ping), methods=["GET"]),
            Route("/iclock/registry", _guarded(registry), methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.receiver = receiver
    return app
