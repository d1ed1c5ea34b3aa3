"""What an offline UDP device costs an hourly pull, before and after the reachability probe.

Two kinds of offline on loopback, each pulled 3 times (medians), with the default pull timeout:
- `closed`: nothing listens on the port (the host answers ICMP port-unreachable);
- `silent`: a socket takes the datagrams and never answers (a dead device behind a router: no ICMP).

Before = what the pull did without the probe: pyzk's unconnected UDP socket hears no ICMP and waits
the whole pull timeout in `connect()`. After = `ingest.pull.pull_device` (the probe: a connected
socket hears ICMP at once; otherwise it waits `udp_probe_timeout`, 2 s by default).
"""

from __future__ import annotations

import socket
import time
from statistics import median

import psycopg
from zk import ZK

from bench._db import bench_settings, scratch_database
from ingest.pull import pull_device
from ingest.reference import load_reference_file
from warehouse.settings import DEFAULT_PULL_TIMEOUT

REPEATS = 3


def _offline_port(kind: str) -> tuple[int, socket.socket | None]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if kind == "closed":
        sock.close()
        return port, None
    return port, sock  # bound, never read: silent


def _before(port: int) -> float:
    t0 = time.perf_counter()
    try:
        ZK("127.0.0.1", port=port, timeout=DEFAULT_PULL_TIMEOUT, force_udp=True, ommit_ping=True).connect()
    except Exception:  # noqa: BLE001 - the expected outcome: the device does not answer
        pass
    return time.perf_counter() - t0


def _after(url: str, serial: str) -> float:
    t0 = time.perf_counter()
    result = pull_device(url, serial, bench_settings(pull_timeout=DEFAULT_PULL_TIMEOUT))
    seconds = time.perf_counter() - t0
    assert result.status == "failed", result
    return seconds


def main() -> None:
    import tempfile
    from pathlib import Path

    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="bench-udp-") as tmp:
        folder = Path(tmp)
        ports: dict[str, tuple[int, socket.socket | None]] = {
            k: _offline_port(k) for k in ("closed", "silent")
        }
        (folder / "opd.csv").write_text(
            "opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n", encoding="utf-8"
        )
        rows = "".join(f"{k.upper()}1,{k},OPD01,127.0.0.1,{p},udp,\n" for k, (p, _s) in ports.items())
        (folder / "devices.csv").write_text("device_sn,nama,opd_code,host,port,protocol,timezone\n" + rows)
        with psycopg.connect(url) as conn:
            load_reference_file(conn, "opd", folder / "opd.csv")
            load_reference_file(conn, "devices", folder / "devices.csv")
        print(f"pull timeout {DEFAULT_PULL_TIMEOUT:g} s; medians of {REPEATS} runs", flush=True)
        for kind, (port, _sock) in ports.items():
            before = median(_before(port) for _ in range(REPEATS))
            after = median(_after(url, f"{kind.upper()}1") for _ in range(REPEATS))
            print(
                f"offline UDP device ({kind}): before {before:.2f} s, after {after:.3f} s ({before / after:.0f}x)"
            )
        for _port, sock in ports.values():
            if sock is not None:
                sock.close()


if __name__ == "__main__":
    main()
