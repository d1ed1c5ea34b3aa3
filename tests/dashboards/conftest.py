from __future__ import annotations

from collections.abc import Iterator

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
    monkeypatch.setenv("METABASE_DB_HOST", "warehouse.internal")
    monkeypatch.setenv("METABASE_DB_NAME", "absensi")
    monkeypatch.setenv("METABASE_DB_USER", "metabase_reader")
    monkeypatch.setenv("METABASE_DB_PASSWORD", "s3cret-from-env")
