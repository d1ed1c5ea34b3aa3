"""A warehouse login that Metabase (the stand-in) really connects with: a role with a password, in
the read-only group absensi_metabase, on the test server. On the embedded server (trust
authentication by default) a pg_hba line makes that one role prove its password, so a wrong
password fails as it does against a production server."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from dashboards.sync import WarehouseConnection
from warehouse import db
from warehouse.settings import ENV_DATABASE_URL

READER = "mb_reader_test"


@dataclass(frozen=True)
class ReaderLogin:
    host: str
    port: int
    user: str
    password: str
    checks_password: bool  # False on an external server that trusts this role

    def connection(self, url: str, **changes: object) -> WarehouseConnection:
        base = WarehouseConnection(
            self.host, self.port, db.conninfo_parts(url)["dbname"], self.user, self.password
        )
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    def env(self, url: str) -> dict[str, str]:
        return {
            "METABASE_WAREHOUSE_HOST": self.host,
            "METABASE_WAREHOUSE_PORT": str(self.port),
            "METABASE_WAREHOUSE_DB": db.conninfo_parts(url)["dbname"],
            "METABASE_READER_USER": self.user,
            "METABASE_READER_PASSWORD": self.password,
        }


@pytest.fixture(scope="session")
def reader_login(pg_server_url: str) -> Iterator[ReaderLogin]:
    password = uuid.uuid4().hex
    parts = db.conninfo_parts(pg_server_url)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            "do $$ begin if not exists (select from pg_roles where rolname = 'absensi_metabase') then "
            "create role absensi_metabase nologin; end if; end $$"
        )
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (READER,)).fetchone()
        verb = "alter" if exists else "create"
        conn.execute(f"{verb} role {READER} login password '{password}'")
        conn.execute(f"grant absensi_metabase to {READER}")
        if not os.environ.get(ENV_DATABASE_URL):  # our own embedded server: make this role prove it
            hba = Path(conn.execute("show hba_file").fetchone()[0])  # type: ignore[index]
            lines = f"local all {READER} scram-sha-256\nhost all {READER} 127.0.0.1/32 scram-sha-256\n"
            hba.write_text(lines + hba.read_text())
            conn.execute("select pg_reload_conf()")
    try:
        psycopg.connect(
            host=parts["host"], port=parts["port"], dbname="postgres", user=READER, password="x"
        ).close()
        checks = False
    except psycopg.OperationalError:
        checks = True
    yield ReaderLogin(parts["host"], int(parts["port"]), READER, password, checks)
