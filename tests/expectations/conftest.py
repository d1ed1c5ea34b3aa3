"""Fixtures for the quality gate: a small regency loaded through the real loaders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import create_database, drop_database
from tests.expectations.warehouse import build_marts, load_raw
from warehouse.migrate import migrate


@pytest.fixture(scope="module")
def regency_url(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database with the small regency's raw data, shared by a module's tests.

    Tests that break the marts each build their own mart schema in it; raw stays untouched.
    """
    url = create_database(pg_server_url, "q")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_raw(conn, tmp_path_factory.mktemp("regency"))
    yield url
    drop_database(pg_server_url, url)


@pytest.fixture
def marts_schema(regency_url: str) -> str:
    """A fresh schema holding correct hand-made marts for the regency."""
    schema = f"qm_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(regency_url, autocommit=True) as conn:
        build_marts(conn, schema)
    return schema


@pytest.fixture
def raw_conn(db_url: str, tmp_path: Path) -> Iterator[psycopg.Connection]:
    """A database of its own (raw is append-only, so tests that break raw cannot share one)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        load_raw(conn, tmp_path / "regency")
        build_marts(conn, "marts")
        yield conn
