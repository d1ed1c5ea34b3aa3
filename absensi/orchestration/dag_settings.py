"""Settings every DAG shares: owner, retries, regency timezone. Read from the environment only
(no I/O), because DAG files import this at parse time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pendulum

from warehouse import settings

OWNER = "data-engineering"
RETRIES = 2
DEVICE_POOL = "device_pull"
# One slot: dbt builds, quality gates and locks of the hourly and monthly DAGs never overlap (at
# 06:00 on the 1st both run; two dbt builds on the same marts would race each other).
WAREHOUSE_POOL = "warehouse"
# Far enough in the past that any deployment's first scheduled run is "now" (catchup is off).
FIRST_DAY = (2026, 1, 1)


def retry_delay() -> timedelta:
    """Five minutes in production; `dag.test()` runs (demo, tests) shorten it so a retry does not
    stall the run."""
    return timedelta(seconds=settings.load().retry_delay_seconds)


def default_args() -> dict:
    return {"owner": OWNER, "retries": RETRIES, "retry_delay": retry_delay()}


def timezone_name() -> str:
    return settings.load().timezone


def start_date() -> datetime:
    return pendulum.datetime(*FIRST_DAY, tz=timezone_name())
