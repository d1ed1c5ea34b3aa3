"""Ordered, versioned SQL migrations, recorded in `public.schema_migrations`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import psycopg

from warehouse.errors import UserError

# Owns every warehouse object (migration 0009). A login that may become it (the migration-only
# login of a deployment) applies the migrations as it, so what they create is the owner's; a
# superuser (development, the embedded server, a one-off upgrade) applies them as itself.
OWNER_ROLE = "absensi_owner"

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


def migrate(conn: psycopg.Connection, *, until: str | None = None) -> list[str]:
    """Apply every migration not yet recorded; returns the versions applied (empty when up to date).
    `until` (a version, e.g. "0013") stops after it: tests upgrade a warehouse built at that state."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
        if _acts_as_owner(conn):
            conn.execute(f"set local role {OWNER_ROLE}")
        conn.execute(
            """create table if not exists public.schema_migrations (
                   version text primary key, name text not null, checksum text not null,
                   applied_at timestamptz not null default now(), applied_by text not null default current_user)"""
        )
        done: dict[str, str] = dict(
            conn.execute("select version, checksum from public.schema_migrations").fetchall()
        )
        for migration in available_migrations():
            if until is not None and migration.version > until:
                break
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
                "insert into public.schema_migrations (version, name, checksum, applied_by)"
                " values (%s, %s, %s, session_user)",
                (migration.version, migration.name, migration.checksum),
            )
            applied_now.append(migration.version)
    return applied_now


def _acts_as_owner(conn: psycopg.Connection) -> bool:
    """Whether this session applies migrations as the owner role: it exists, the login is no
    superuser and may SET ROLE to it."""
    row = conn.execute(
        """select case when r.rolsuper or not exists (select 1 from pg_roles where rolname = %s) then false
                       else pg_has_role(session_user, %s, 'SET') end
             from pg_roles r where r.rolname = session_user""",
        (OWNER_ROLE, OWNER_ROLE),
    ).fetchone()
    return bool(row and row[0])
