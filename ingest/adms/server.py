"""Run the ADMS push receiver on uvicorn: `serve()` until a signal (the CLI, the compose service),
`running_receiver()` in a background thread (the demo, the tests, the benchmark)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from ingest.adms.app import create_app, log_stderr
from warehouse.errors import UserError
from warehouse.settings import AdmsSettings


def _config(
    url: str, adms: AdmsSettings, timezone: str, log: Callable[[str], None], registry_retry: float = 5.0
) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(url, adms, timezone, log=log, registry_retry=registry_retry),
        # One process: the store's single writer orders each device's posts and stamps.
        workers=1,
        proxy_headers=True,
        forwarded_allow_ips=adms.trusted_proxies or None,
        server_header=False,  # say nothing about the software to the internet
        date_header=True,  # devices may set their clock from it (with TimeZone=)
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
        lifespan="on",
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"penerima ADMS tidak dapat membuka {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(2048)
    return sock


def serve(
    url: str,
    adms: AdmsSettings,
    timezone: str,
    *,
    log: Callable[[str], None] = log_stderr,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `/iclock/*` and `/healthz` on adms.host:adms.port until SIGINT/SIGTERM (graceful: what
    is queued is committed and answered first)."""
    sock = _bind(adms.host, adms.port)
    server = uvicorn.Server(_config(url, adms, timezone, log))
    if on_ready is not None:
        host, port = sock.getsockname()[:2]
        threading.Thread(
            target=_announce, args=(server, f"http://{host}:{port}", on_ready), daemon=True
        ).start()
    server.run(sockets=[sock])


def _announce(server: uvicorn.Server, base: str, on_ready: Callable[[str], None]) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        on_ready(base)


@contextmanager
def running_receiver(
    url: str,
    adms: AdmsSettings,
    timezone: str,
    *,
    log: Callable[[str], None] = log_stderr,
    registry_retry: float = 5.0,
) -> Iterator[str]:
    """The receiver in a background thread for the block; yields its base URL (port 0 = any free)."""
    sock = _bind(adms.host, adms.port)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(_config(url, adms, timezone, log, registry_retry))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="adms-receiver", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise UserError("penerima ADMS tidak mau menyala")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
