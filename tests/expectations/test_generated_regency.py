"""The gate on real marts: a generated regency through the real loaders and a real `dbt build`.

A clean regency must pass (and fast); a broken seed in the warehouse must be stopped.
The module builds the warehouse once; the broken-seed test runs last because it changes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from absensi.transform import run_build
from expectations.gate import decide
from expectations.runner import run_checks
from tests.conftest import BuiltRegency, built_regency, resolved_settings
from warehouse.months import parse_month
from warehouse.settings import DEFAULT_TIMEZONE as TZ

pytestmark = pytest.mark.slow

MONTH = "2026-02"


@pytest.fixture(scope="module")
def regency(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegency]:
    with built_regency(
        pg_server_url, tmp_path_factory.mktemp("regency"), prefix="qg", unit_tests=False,
        employees=60, devices=3, start="2026-02-02", days=27, seed=5,
    ) as built:  # fmt: skip
        yield built


def test_clean_generated_month_passes(regency: BuiltRegency, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    run = run_checks(regency.url, parse_month(MONTH), timezone=TZ, docs_dir=tmp_path / "docs")
    seconds = time.perf_counter() - t0
    decision = decide(run)
    assert decision.publishable, decision.reasons
    names = {(o.suite, o.expectation) for o in run.outcomes}
    assert ("marts", "daily_grain_complete") in names  # the window came from dbt's own view
    assert ("raw", "punch_time_in_range_or_quarantined") in names
    # The generator resets a device clock to 2000-01-01: those punches are in q_impossible_clock.
    assert run.quarantine_counts.get("marts.q_impossible_clock", 0) > 0
    print(f"\nfull check of {MONTH}: {seconds:.1f} s ({len(run.outcomes)} expectations)")


def test_broken_seed_is_stopped(regency: BuiltRegency) -> None:
    # A regency edits its schedule seed and loses Friday: dbt builds without complaint, but every
    # Friday of every employee disappears from the daily mart (and the money with it).
    with psycopg.connect(regency.url, autocommit=True) as conn:
        conn.execute("delete from staging.work_schedules where iso_weekday = 5")
    run_build(
        regency.url,
        resolved_settings(),
        vars=regency.vars,
        full_refresh=True,
        unit_tests=False,
        select="path:models",
    )
    run = run_checks(regency.url, parse_month(MONTH), timezone=TZ)
    decision = decide(run)
    assert not decision.publishable
    missing = run.outcome("marts", "daily_grain_complete")
    assert not missing.success
    days = {row["work_date"] for row in missing.failing_rows}
    assert days and all(__import__("datetime").date.fromisoformat(d).isoweekday() == 5 for d in days)
    assert any("daily_grain_complete" in r and "work_date=2026-02-06" in r for r in decision.reasons)
