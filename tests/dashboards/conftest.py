from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.dashboards.metabase_standin import StandinServer

API_KEY = "mb_test_key_123"


@pytest.fixture
def standin() -> Iterator[StandinServer]:
    server = StandinServer(API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def metabase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METABASE_WAREHOUSE_HOST", "warehouse.internal")
    monkeypatch.setenv("METABASE_READER_PASSWORD", "s3cret-from-env")


# ---- one real warehouse, built once for every warehouse-backed dashboards test ----------------------
# generated regency -> raw (reference loader + USB attlog import) -> real `dbt build` -> marts.
# August 2026 is locked by the monthly close; September 2026 stays open (draft).
LOCKED_MONTH = "2026-08"
OPEN_MONTH = "2026-09"


@dataclass
class Warehouse:
    url: str
    folder: Path


@pytest.fixture(scope="session")
def warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    import psycopg

    from absensi.migrate import migrate
    from absensi.transform import run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate
    from tests.conftest import create_database, drop_database

    folder = tmp_path_factory.mktemp("regency")
    info = generate(folder, employees=60, devices=4, start="2026-08-01", days=61, seed=7)
    url = create_database(pg_server_url, prefix="dash")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_generated_regency(conn, folder)
    window = {"attendance_start": "2026-08-01", "attendance_end": "2026-09-30"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ABSENSI_DATABASE_URL", url)
        run_build(vars=window, url=url, unit_tests=False)  # rule unit tests belong to tests/dbt
        from absensi.close import lock_month

        with psycopg.connect(url, autocommit=True) as conn:
            lock_month(conn, date(2026, 8, 1))
        run_build(vars=window, url=url, unit_tests=False)  # rule unit tests belong to tests/dbt
    assert info  # the generator reports what it wrote
    yield Warehouse(url, folder)
    drop_database(pg_server_url, url)
