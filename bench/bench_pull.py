"""Device pull speed, all in one run against the ZK simulator on loopback:

1. one 100,000-record device, 3 times each side (medians): pyzk 0.9's `ZK.get_attendance()` (baseline, records in memory only)
   versus `ingest.pull.pull_device` end to end (pyzk protocol + vectorised parse + COPY into Postgres),
   then the hourly re-pull of the same device with one new record;
2. 85 devices x 5,000 records pulled in one `pull_devices` call (wall time);
3. the same 85 devices pulled again: must add 0 rows.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

import psycopg
from zk import ZK

from bench._db import bench_settings, scratch_database, scratch_server
from ingest.pull import pull_device, pull_devices
from ingest.raw_loader import BatchResult
from ingest.reference import load_reference_file
from ingest.simulator import serve_regency

BIG = 100_000
REPEATS = 3  # a VM's disk makes single runs of the transaction vary by +-30 %
FLEET, PER_DEVICE = 85, 5_000


def _write_regency(folder: Path, devices: dict[str, int]) -> None:
    (folder / "attlog").mkdir(parents=True)
    (folder / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n", encoding="utf-8")
    with (folder / "devices.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["device_sn", "nama", "opd_code", "host", "port", "protocol", "timezone"])
        for serial in devices:
            writer.writerow([serial, serial, "OPD01", "127.0.0.1", 0, "tcp", ""])
    # 800 enrolled users on every device, as in a large office (pyzk matches punches to them)
    (folder / "pins.csv").write_text(
        "nip,device_pin,device_sn\n" + "".join(f"P{i},{1000 + i},\n" for i in range(800)), encoding="utf-8"
    )
    rng = random.Random(1)
    start = datetime(2026, 1, 5)
    for serial, count in devices.items():
        stamps = sorted(rng.sample(range(120 * 86400), count))
        lines = [
            f"{1000 + rng.randrange(800):>9}\t{start + timedelta(seconds=s):%Y-%m-%d %H:%M:%S}\t1\t{i % 2}\t0\t0\n"
            for i, s in enumerate(stamps)
        ]
        (folder / "attlog" / f"{serial}_attlog.dat").write_text("".join(lines), encoding="utf-8")


def _register(url: str, sim, folder: Path) -> None:
    with psycopg.connect(url) as conn:
        load_reference_file(conn, "opd", folder / "opd.csv")
        load_reference_file(
            conn, "devices", sim.write_devices_csv(folder / "devices.csv", folder / "served.csv")
        )


def _pyzk_seconds(sim) -> float:
    host, port = sim.address("BIG1")
    t0 = time.perf_counter()
    link = ZK(host, port=port, timeout=300, ommit_ping=True).connect()
    baseline = link.get_attendance()
    link.disconnect()
    seconds = time.perf_counter() - t0
    assert len(baseline) == BIG
    return seconds


def _first_pull(url: str) -> BatchResult:
    t0 = time.perf_counter()
    result = pull_device(url, "BIG1", bench_settings(pull_timeout=60))
    result = replace(result, seconds=time.perf_counter() - t0)
    assert result.ok and result.records_new == BIG, result
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == BIG
    return result


def bench_single(tmp: Path, att_format: int) -> None:
    """Both sides REPEATS times, alternating, each first pull into a fresh database; medians."""
    folder = tmp / f"big{att_format}"
    _write_regency(folder, {"BIG1": BIG})
    overrides = {"BIG1": {"att_format": att_format}}
    pyzk_runs: list[float] = []
    pulls: list[BatchResult] = []
    with (
        serve_regency(folder, free_ports=True, comm_keys={}, overrides=overrides) as sim,
        scratch_server() as server,
    ):
        sim.devices["BIG1"].warm()
        for repeat in range(REPEATS):
            pyzk_runs.append(_pyzk_seconds(sim))
            with scratch_database(server) as url:
                _register(url, sim, folder)
                pulls.append(_first_pull(url))
                if repeat == REPEATS - 1:
                    # The hourly steady state: the device still holds everything, one punch is new.
                    sim.devices["BIG1"].add_punch("1001", "2026-12-31 07:00:00", 1, 0, 0)
                    t0 = time.perf_counter()
                    hourly = pull_device(url, "BIG1", bench_settings(pull_timeout=60))
                    hourly_seconds = time.perf_counter() - t0
                    assert hourly.ok and hourly.records_new == 1, hourly
    pyzk_seconds = median(pyzk_runs)
    ours = median(r.seconds for r in pulls)
    read = median(r.extra["read_seconds"] for r in pulls)
    write = median(r.extra["write_seconds"] for r in pulls)
    print(f"100,000-record device, TCP, {att_format}-byte records, 800 users (median of {REPEATS})")
    print(f"  pyzk ZK.get_attendance() (memory only)   {pyzk_seconds:8.2f} s   runs: {_runs(pyzk_runs)}")
    print(
        f"  absensi pull_device (into PostgreSQL)    {ours:8.2f} s   runs: {_runs(r.seconds for r in pulls)}"
    )
    print(
        f"    of which device read + parse           {read:8.2f} s   ({pyzk_seconds / read:.1f} x pyzk, both in memory)"
    )
    print(f"    of which PostgreSQL transaction        {write:8.2f} s   (COPY into raw: 1 b-tree, 2 BRIN)")
    print(f"  speed-up                                 {pyzk_seconds / ours:8.1f} x   (goal >= 10 x)")
    print(
        f"  hourly re-pull, 1 of 100,001 new         {hourly_seconds:8.2f} s   ({pyzk_seconds / hourly_seconds:.1f} x pyzk,"
        f" {hourly_seconds / ours:.0%} of a first pull)",
        flush=True,
    )


def _runs(seconds) -> str:
    return " ".join(f"{s:.2f}" for s in seconds)


def bench_fleet(tmp: Path) -> None:
    folder = tmp / "fleet"
    _write_regency(folder, {f"OKU{i:03d}": PER_DEVICE for i in range(FLEET)})
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim, scratch_database() as url:
        _register(url, sim, folder)
        t0 = time.perf_counter()
        first = pull_devices(url, bench_settings(pull_timeout=60), max_workers=8)
        first_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = pull_devices(url, bench_settings(pull_timeout=60), max_workers=8)
        again_seconds = time.perf_counter() - t0
    assert all(r.ok for r in first + again), [r.error for r in first + again if not r.ok]
    new_first = sum(r.records_new for r in first)
    new_again = sum(r.records_new for r in again)
    assert new_first == FLEET * PER_DEVICE and new_again == 0
    print(f"{FLEET} devices x {PER_DEVICE:,} records, one pull_devices call, 8 at a time")
    print(f"  first pull   {first_seconds:8.2f} s wall   {new_first:,} new rows")
    print(f"  re-pull      {again_seconds:8.2f} s wall   {new_again:,} new rows (must be 0)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        for att_format in (40, 16):
            bench_single(Path(tmp), att_format)
        bench_fleet(Path(tmp))


if __name__ == "__main__":
    main()
