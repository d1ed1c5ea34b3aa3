"""Airflow for the DAG tests: one throwaway AIRFLOW_HOME (sqlite metadata DB) per test session.

Airflow reads its configuration when first imported, so the home is chosen here, at collection
time, before any test module imports Airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from absensi.orchestration import airflow_local

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="absensi-airflow-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)  # also when no test used it
airflow_local.configure(AIRFLOW_HOME)
# A failing task must fail the test quickly, not wait five minutes for its retry.
os.environ["ABSENSI_RETRY_DELAY_SECONDS"] = "1"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """The initialised metadata DB (created once; DAG runs are keyed by their own run ids)."""
    airflow_local.init_metadata_db()
    yield AIRFLOW_HOME
