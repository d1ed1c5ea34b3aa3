"""Quality gate speed (issue 5): Great Expectations import and a full check of a generated month.

1. `import great_expectations` in a fresh interpreter vs `import sqlalchemy` (baseline, same run).
2. One generated month (BENCH_EMPLOYEES, default 300) loaded and built with dbt; then
   `run_checks` cold (GX import included), warm (GX already imported), and warm with data docs,
   each as a ratio of the `dbt build` of the same month (the gate must not cost more than the transform).
Run: `.venv/bin/python -m bench quality` (ABSENSI_DATABASE_URL or a throwaway embedded server).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

from bench._db import bench_settings, scratch_database
from warehouse.settings import DEFAULT_TIMEZONE

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "300"))
IMPORT_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _import_seconds(module: str) -> float:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    base = min(_import_seconds("sqlalchemy") for _ in range(2))
    gx = min(_import_seconds("great_expectations") for _ in range(2))
    print(f"import sqlalchemy {base:.2f} s; import great_expectations {gx:.2f} s (x{gx / base:.1f})")

    from absensi.transform import run_build
    from expectations.gate import decide
    from ingest.folder import load_generated_regency
    from ingest.generator import generate

    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="absensi-bench-q-") as tmp:
        folder = Path(tmp) / "regency"
        meta = generate(
            folder, employees=EMPLOYEES, devices=max(1, EMPLOYEES // 100), start="2026-02-02", days=27, seed=3
        )
        with psycopg.connect(url, autocommit=True) as conn:
            load_generated_regency(conn, folder)
        os.environ["ABSENSI_DATABASE_URL"] = url
        t0 = time.perf_counter()
        run_build(
            url,
            bench_settings(),
            vars={"attendance_start": meta["start"], "attendance_end": meta["end"]},
            full_refresh=True,
            unit_tests=False,
        )
        build = time.perf_counter() - t0

        t0 = time.perf_counter()
        from expectations.runner import run_checks  # GX itself is imported inside the first run

        cold = run_checks(url, date(2026, 2, 1), timezone=DEFAULT_TIMEZONE)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = run_checks(url, date(2026, 2, 1), timezone=DEFAULT_TIMEZONE)
        warm_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_checks(url, date(2026, 2, 1), timezone=DEFAULT_TIMEZONE, docs_dir=Path(tmp) / "docs")
        docs_s = time.perf_counter() - t0
        rows = psycopg.connect(url).execute("select count(*) from marts.fct_attendance_daily").fetchone()[0]
        print(
            f"{EMPLOYEES} employees, {rows} daily rows, {len(warm.outcomes)} expectations; "
            f"publishable={decide(cold).publishable}"
        )
        print(f"dbt build (baseline) {build:.1f} s")
        print(
            f"check cold {cold_s:.1f} s (x{cold_s / build:.2f} of build); warm {warm_s:.1f} s "
            f"(x{warm_s / build:.2f}); warm + data docs {docs_s:.1f} s (x{docs_s / build:.2f})"
        )


if __name__ == "__main__":
    main()
