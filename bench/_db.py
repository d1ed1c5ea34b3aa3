"""Scratch databases for benchmarks: on ABSENSI_DATABASE_URL's server or a throwaway embedded one."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from warehouse import db, settings
from warehouse.embedded import start_embedded, stop_embedded
from warehouse.migrate import migrate


@contextlib.contextmanager
def scratch_server() -> Iterator[str]:
    """The URL of ABSENSI_DATABASE_URL's server, or of an embedded one stopped and removed afterwards."""
    with contextlib.ExitStack() as stack:
        server = settings.load().database_url
        if server is None:
            pgdata = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="absensi-bench-"))) / "pg"
            server = start_embedded(pgdata)
            stack.callback(stop_embedded, pgdata)
        yield server


@contextlib.contextmanager
def scratch_database(server: str | None = None) -> Iterator[str]:
    """Yields the URL of a fresh migrated database on `server` (a scratch server if None), dropped afterwards."""
    with contextlib.ExitStack() as stack:
        if server is None:
            server = stack.enter_context(scratch_server())
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'create database "{name}"')
        url = db.with_dbname(server, name)
        try:
            with psycopg.connect(url) as conn:
                migrate(conn)
            yield url
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{name}" with (force)')


def bench_settings(**overrides: object) -> settings.Settings:
    """The settings in force, with `overrides` (e.g. a longer pull_timeout)."""
    import dataclasses

    return dataclasses.replace(settings.load(), **overrides)  # type: ignore[arg-type]
