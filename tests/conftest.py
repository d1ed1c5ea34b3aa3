"""Shared fixtures: a real PostgreSQL (embedded, or ABSENSI_DATABASE_URL), a fresh migrated
database per test, and the CLI run in-process exactly as a user runs it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from warehouse import db, settings
from warehouse.embedded import start_embedded, stop_embedded
from warehouse.migrate import migrate
from warehouse.settings import ENV_DATABASE_URL, Settings


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The server the tests create their databases on."""
    external = os.environ.get(ENV_DATABASE_URL)
    if external:
        yield external
        return
    # Not under pytest's basetemp: a concurrent pytest run prunes old basetemps, data dir included.
    parent = Path(tempfile.mkdtemp(prefix="absensi-test-pg-"))
    pgdata = parent / "data"
    url = start_embedded(pgdata)
    yield url
    stop_embedded(pgdata)
    shutil.rmtree(parent, ignore_errors=True)


def resolved_settings(**overrides: object) -> Settings:
    """The settings in force (as the CLI would resolve them), with `overrides` (e.g. pull_timeout)."""
    return dataclasses.replace(settings.load(), **overrides)  # type: ignore[arg-type]


def create_database(server_url: str, prefix: str = "t") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    return db.with_dbname(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    name = db.conninfo_parts(url)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def empty_db_url(pg_server_url: str) -> Iterator[str]:
    """A brand-new database with nothing in it."""
    url = create_database(pg_server_url)
    yield url
    drop_database(pg_server_url, url)


@pytest.fixture
def db_url(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, migrated database; every `absensi` command in the test uses it."""
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
    monkeypatch.setenv(ENV_DATABASE_URL, empty_db_url)
    return empty_db_url


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli(capfd: pytest.CaptureFixture[str]):
    """Run `absensi ARGS...` in-process through the real entry point (exit code, stdout, stderr)."""
    from absensi.cli import main

    def run(*args: str | Path) -> CliResult:
        import sys

        capfd.readouterr()
        argv = sys.argv
        sys.argv = ["absensi", *map(str, args)]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = argv
        out, err = capfd.readouterr()
        return CliResult(code, out, err)

    return run


@dataclass
class BuiltRegency:
    """A generated regency loaded into its own database and built by real dbt."""

    url: str
    folder: Path
    vars: dict[str, object]


@contextlib.contextmanager
def built_regency(
    server_url: str, folder: Path, *, prefix: str, unit_tests: bool = True, **generate_args: object
) -> Iterator[BuiltRegency]:
    """generate → fresh database → migrate → load the folder → `dbt build` over the generated window.

    For module/session fixtures that share one warehouse (dbt builds are the slow part of the suite).
    """
    from absensi.transform import run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate

    meta = generate(folder, **generate_args)
    url = create_database(server_url, prefix)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            load_generated_regency(conn, folder)
        dbt_vars: dict[str, object] = {"attendance_start": meta["start"], "attendance_end": meta["end"]}
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(ENV_DATABASE_URL, url)
            # the generated regency's profile picks the policies, as ABSENSI_REGENCY_PROFILE would
            settings = resolved_settings(regency_profile=meta["regency_profile"])
            run_build(url, settings, vars=dbt_vars, full_refresh=True, unit_tests=unit_tests)
        yield BuiltRegency(url, folder, dbt_vars)
    finally:
        drop_database(server_url, url)
