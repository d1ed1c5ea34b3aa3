"""Ordered, versioned SQL migrations, recorded in `public.schema_migrations`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import psycopg

from warehouse.errors import UserError

# Serialises concurrent `absensi db migrate` runs (two DAG tasks, a CLI and a test) on one database.
_ADVISORY_LOCK_KEY = 0x4B5A_4D49


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    files = resources.files("warehouse").joinpath("migrations")
    found = []
    for entry in files.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(version, rest.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the versions applied (empty when up to date)."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
        conn.execute(
            """create table if not exists public.schema_migrations (
                   version text primary key, name text not null, checksum text not null,
                   applied_at timestamptz not null default now(), applied_by text not null default current_user)"""
        )
        done: dict[str, str] = dict(
            conn.execute("select version, checksum from public.schema_migrations").fetchall()
        )
        for migration in available_migrations():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    # An applied migration was edited: refuse rather than guess which schema is real.
                    raise UserError(
                        f"migrasi {migration.version}_{migration.name} sudah diterapkan tetapi isinya berubah; "
                        "tambahkan migrasi baru, jangan ubah yang lama"
                    )
                continue
            conn.execute(migration.sql)
            conn.execute(
                "insert into public.schema_migrations (version, name, checksum) values (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            applied_now.append(migration.version)
    return applied_now
