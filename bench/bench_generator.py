"""Generator throughput: a year of a big regency against a month of a small one, in the same run.

    .venv/bin/python -m bench generator
    .venv/bin/python -m bench.bench_generator [--employees 8000] [--days 365]

Prints seconds and employee-days per second for both; the ratio shows whether the cost stays
linear (about 1.0) as the regency grows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from ingest.generator import generate


def run(employees: int, days: int, out: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    summary = generate(out, employees=employees, devices=85, start="2025-01-01", days=days, seed=1)
    return time.perf_counter() - t0, summary["counts"]["punches"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=8000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        base_s, base_p = run(500, 30, f"{tmp}/base")
        big_s, big_p = run(args.employees, args.days, f"{tmp}/big")
    base_rate = 500 * 30 / base_s
    big_rate = args.employees * args.days / big_s
    print(f"baseline 500 x 30:   {base_s:6.2f} s, {base_p:>9} punches, {base_rate:10.0f} employee-days/s")
    print(
        f"big {args.employees} x {args.days}: {big_s:6.2f} s, {big_p:>9} punches, {big_rate:10.0f} employee-days/s"
    )
    print(f"throughput ratio big/baseline: {big_rate / base_rate:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
