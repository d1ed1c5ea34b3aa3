"""ADMS push receiver speed, against the push device simulator over loopback HTTP:

1. the morning rush: 85 push devices, 3,000 employees arriving between 06:45 and 07:45 (replayed
   compressed into RUSH_SECONDS), every punch posted in realtime, while one more device uploads a
   100,000-record backlog in chunks of 500: throughput, p50/p99 acknowledgement latency, batch rows
   written, and 0 lost / 0 doubled against every simulator's log;
2. the same 100,000-record backlog alone, pushed (`absensi adms serve` in its own process) versus
   pulled (`ingest.pull.pull_device` from the ZK simulator), REPEATS times each, alternating, each into
   a fresh database: rows per second, medians, and the ratio push / pull; then once with chunks of
   5,000 (the chunk size is the device's choice).

The receiver runs as `absensi adms serve` in a subprocess (as deployed), so the simulator's 86
threads do not share its interpreter.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

import httpx
import psycopg

from bench._db import bench_settings, scratch_database, scratch_server
from bench.bench_pull import BIG, _register, _write_regency
from ingest.pull import pull_device
from ingest.reference import load_reference_file
from ingest.simulator import serve_regency
from ingest.simulator.adms import AdmsDevice
from ingest.usb import read_attlog
from warehouse.settings import PROJECT_ROOT

FLEET, EMPLOYEES = 85, 3_000
RUSH_START, RUSH_MINUTES = datetime(2026, 3, 2, 6, 45), 60
RUSH_SECONDS = 60.0  # the hour replayed in a minute: 50 punches a second
CHUNK = 500
BIG_CHUNK = 5_000
REPEATS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """`absensi adms serve` for the database at `url`, in its own process."""

    def __init__(self, url: str):
        self.port = _free_port()
        env = {**os.environ, "ABSENSI_DATABASE_URL": url, "ABSENSI_ADMS_PORT": str(self.port)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "absensi.cli", "adms", "serve"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError(self.proc.communicate()[1])

    def health(self) -> dict:
        return httpx.get(f"{self.url}/healthz", timeout=5).json()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def _register_push(url: str, folder: Path, serials: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n", encoding="utf-8")
    (folder / "devices.csv").write_text(
        "device_sn,nama,opd_code,host,port,protocol,timezone\n"
        + "".join(f"{sn},{sn},OPD01,,,push,\n" for sn in serials),
        encoding="utf-8",
    )
    with psycopg.connect(url) as conn:
        load_reference_file(conn, "opd", folder / "opd.csv")
        load_reference_file(conn, "devices", folder / "devices.csv")


def _rush_schedule(rng: random.Random) -> list[tuple[float, str, str, str]]:
    """(offset seconds into the replay, device, PIN, punch time) for every arrival, by time."""
    schedule = []
    for employee in range(EMPLOYEES):
        device = f"PSH{employee % FLEET:03d}"
        second = rng.uniform(0, RUSH_MINUTES * 60)
        moment = RUSH_START + timedelta(seconds=int(second))
        schedule.append(
            (
                second * RUSH_SECONDS / (RUSH_MINUTES * 60),
                device,
                str(10_000 + employee),
                f"{moment:%Y-%m-%d %H:%M:%S}",
            )
        )
    return sorted(schedule)


def _backlog(count: int, rng: random.Random) -> list[tuple]:
    start = datetime(2025, 9, 1)
    stamps = sorted(rng.sample(range(180 * 86400), count))
    return [
        (str(1000 + rng.randrange(800)), f"{start + timedelta(seconds=s):%Y-%m-%d %H:%M:%S}", 1, i % 2, 0)
        for i, s in enumerate(stamps)
    ]


def _stored(url: str) -> dict[str, tuple[int, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select device_sn, count(*), count(distinct (device_pin, punch_local)) from raw.device_punch group by 1"
        ).fetchall()
    return {sn: (n, distinct) for sn, n, distinct in rows}


def _check(url: str, devices: list[AdmsDevice]) -> tuple[int, int]:
    """(lost, doubled) against the simulators' logs: each device's distinct (PIN, time) keys must
    all be stored, and no key twice."""
    stored = _stored(url)
    with psycopg.connect(url) as conn:
        lost = doubled = 0
        for device in devices:
            keys = {(pin, when) for pin, when, *_rest in device.log}
            rows = set(
                conn.execute(
                    "select device_pin, to_char(punch_local, 'YYYY-MM-DD HH24:MI:SS') from raw.device_punch where device_sn = %s",
                    (device.serial,),
                ).fetchall()
            )
            lost += len(keys - rows)
            count, distinct = stored.get(device.serial, (0, 0))
            doubled += count - distinct + len(rows - keys)
    return lost, doubled


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _ms(values: list[float], q: float) -> str:
    return f"{1000 * _quantile(values, q):6.1f} ms"


def bench_rush(tmp: Path) -> None:
    rng = random.Random(18)
    schedule = _rush_schedule(rng)
    backlog = _backlog(BIG, rng)
    serials = [f"PSH{i:03d}" for i in range(FLEET)]
    with scratch_database() as url:
        _register_push(url, tmp / "rush", [*serials, "BACKLOG"])
        receiver = Receiver(url)
        try:
            fleet = {sn: AdmsDevice(sn, [], receiver.url, error_delay=5) for sn in serials}
            big = AdmsDevice("BACKLOG", backlog, receiver.url, chunk=CHUNK, error_delay=5)
            for device in fleet.values():
                device.start()
            for device in fleet.values():  # every device has shaken hands before the rush starts
                while device.handshakes == 0:
                    time.sleep(0.01)
            t0 = time.perf_counter()
            big.start()

            def replay() -> None:
                for offset, serial, pin, when in schedule:
                    delay = t0 + offset - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    fleet[serial].add_punch(pin, when)

            player = threading.Thread(target=replay)
            player.start()
            player.join()
            for device in fleet.values():
                device.wait_uploaded(120)
            rush_done = time.perf_counter() - t0
            big.wait_uploaded(600)
            backlog_done = max(p.finished for p in big.posts) - t0
            health = receiver.health()
            for device in [*fleet.values(), big]:
                device.stop()
        finally:
            receiver.stop()
        devices = [*fleet.values(), big]
        lost, doubled = _check(url, devices)
        with psycopg.connect(url) as conn:
            batches, new = conn.execute(
                "select count(*), sum(records_new) from raw.ingest_batch where kind = 'push' and status = 'ok'"
            ).fetchone()
    rush_posts = [p for d in fleet.values() for p in d.posts if p.status == "ok"]
    realtime = [p.seconds for p in rush_posts]
    during = [p.seconds for p in rush_posts if p.finished - t0 <= backlog_done]
    chunks = [p.seconds for p in big.posts if p.status == "ok"]
    in_window = sum(p.last_stamp - p.first_stamp + 1 for p in rush_posts if p.finished - t0 <= backlog_done)
    posts = len(realtime) + len(chunks)
    failed = sum(p.status != "ok" for d in devices for p in d.posts)
    rate = EMPLOYEES / RUSH_SECONDS
    print(
        f"morning rush: {FLEET} push devices, {EMPLOYEES:,} arrivals 06:45-07:45 replayed in {RUSH_SECONDS:.0f} s "
        f"({rate:.0f} punches/s, each posted at once), while one more device uploads a {BIG:,}-record backlog "
        f"in chunks of {CHUNK}"
    )
    print(
        f"  realtime acks (all {len(realtime):,})        p50 {_ms(realtime, 0.5)}   p99 {_ms(realtime, 0.99)}"
        f"   max {1000 * max(realtime):6.1f} ms   last ack {rush_done:5.1f} s after the start"
    )
    print(
        f"  realtime acks during the backlog ({len(during):,})  p50 {_ms(during, 0.5)}   p99 {_ms(during, 0.99)}"
    )
    print(
        f"  backlog beside the rush         {BIG:8,} rows in {backlog_done:5.1f} s = {BIG / backlog_done:7,.0f} rows/s"
        f"   chunk acks p50 {_ms(chunks, 0.5)}  p99 {_ms(chunks, 0.99)}"
    )
    print(
        f"  peak (backlog window)           {(BIG + in_window) / backlog_done:7,.0f} rows/s acknowledged;  "
        f"{posts:,} posts -> {health['transactions']:,} transactions, {batches:,} batch rows; failed posts {failed}"
    )
    print(
        f"  against the simulators' logs    lost {lost}   doubled {doubled}   (new raw rows: {new:,})",
        flush=True,
    )
    assert lost == 0 and doubled == 0 and new == EMPLOYEES + BIG


def bench_backlog(tmp: Path) -> None:
    """The 100,000-record log alone: pushed vs pulled, alternating, medians."""
    folder = tmp / "big"
    _write_regency(folder, {"BIG1": BIG})
    records = read_attlog(folder / "attlog" / "BIG1_attlog.dat")
    push_runs: list[float] = []
    pull_runs: list[float] = []
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim, scratch_server() as server:
        sim.devices["BIG1"].warm()
        for _repeat in range(REPEATS):
            with scratch_database(server) as url:
                _register(url, sim, folder)
                t0 = time.perf_counter()
                result = pull_device(url, "BIG1", bench_settings(pull_timeout=60))
                pull_runs.append(time.perf_counter() - t0)
                assert result.ok and result.records_new == BIG, result
            with scratch_database(server) as url:
                _register_push(url, tmp / "push-reg", ["BIG1"])
                receiver = Receiver(url)
                try:
                    device = AdmsDevice("BIG1", records, receiver.url, chunk=CHUNK, error_delay=5).start()
                    t0 = time.perf_counter()
                    while device.handshakes == 0:
                        time.sleep(0.005)
                    assert device.wait_uploaded(900)
                    push_runs.append(time.perf_counter() - t0)
                    device.stop()
                finally:
                    receiver.stop()
                lost, doubled = _check(url, [device])
                assert lost == 0 and doubled == 0
        with scratch_database(server) as url:
            _register_push(url, tmp / "push-reg", ["BIG1"])
            receiver = Receiver(url)
            try:
                device = AdmsDevice("BIG1", records, receiver.url, chunk=BIG_CHUNK, error_delay=5).start()
                t0 = time.perf_counter()
                while device.handshakes == 0:
                    time.sleep(0.005)
                assert device.wait_uploaded(900)
                big_chunk_s = time.perf_counter() - t0
                device.stop()
            finally:
                receiver.stop()
    push_s, pull_s = median(push_runs), median(pull_runs)
    print(f"{BIG:,}-record backlog alone, into a fresh database (median of {REPEATS}, alternating)")
    print(
        f"  pull (pyzk from the ZK simulator)  {pull_s:7.2f} s = {BIG / pull_s:8,.0f} rows/s   runs: {_runs(pull_runs)}"
    )
    print(
        f"  push (ADMS, chunks of {CHUNK})       {push_s:7.2f} s = {BIG / push_s:8,.0f} rows/s   runs: {_runs(push_runs)}"
    )
    print(f"  push / pull rows per second        {pull_s / push_s:7.2f} x")
    print(
        f"  push, chunks of {BIG_CHUNK:,} (one run)     {big_chunk_s:7.2f} s = {BIG / big_chunk_s:8,.0f} rows/s"
        "   (a device, not the server, picks its chunk size)",
        flush=True,
    )


def _runs(seconds: list[float]) -> str:
    return " ".join(f"{s:.2f}" for s in seconds)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-adms-") as tmp:
        bench_rush(Path(tmp))
        bench_backlog(Path(tmp))


if __name__ == "__main__":
    main()
