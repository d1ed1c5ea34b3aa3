"""The warehouse connection and the small questions every part asks of it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import psycopg

from warehouse.errors import UserError


def connect(url: str, *, autocommit: bool = False, timezone: str | None = None) -> psycopg.Connection:
    """A psycopg 3 connection; one clear line (UserError) when the server cannot be reached.
    With `timezone`, instants (timestamptz) come back in that zone (the regency's, for display)."""
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise UserError(f"Tidak dapat terhubung ke database {redact(url)}: {_why(exc, url)}") from exc
    if timezone:
        conn.execute("select set_config('TimeZone', %s, false)", (timezone,))
        if not autocommit:
            conn.commit()
    return conn


def _why(exc: psycopg.OperationalError, url: str) -> str:
    """psycopg's reason as the fix an operator can make, in Indonesian (never the password)."""
    text, parts = str(exc), conninfo_parts(url)
    check = "periksa ABSENSI_DATABASE_URL"
    if "password authentication failed" in text:
        return f"login '{parts['user']}' ditolak karena kata sandinya salah; {check}"
    if re.search(r'role ".*" does not exist', text):
        return f"login '{parts['user']}' tidak ada di server itu; {check}"
    if re.search(r'database ".*" does not exist', text):
        return f"database '{parts['dbname']}' belum ada di server itu; {check}"
    if "failed to resolve host" in text or "could not translate host name" in text:
        return f"nama host '{parts['host']}' tidak dikenal; {check}"
    if any(
        s in text for s in ("Connection refused", "No such file or directory", "timeout expired", "timed out")
    ):
        return (
            "server tidak menjawab. Apakah PostgreSQL berjalan? Jalankan `absensi db up` untuk server "
            f"tertanam, atau {check}"
        )
    return f"server menolak koneksi ({type(exc).__name__}); {check}"


def scalar(conn: psycopg.Connection, sql: str, params: Any = ()) -> Any:
    """The single value a one-row query returns (None when it returns no row)."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    """Whether a table or view `schema.name` exists (built by dbt, created by a migration)."""
    return bool(scalar(conn, "select to_regclass(%s) is not null", (name,)))


def is_month_locked(conn: psycopg.Connection, month: date) -> bool:
    """Whether the monthly close locked the month starting `month` (ops.month_lock)."""
    if not relation_exists(conn, "ops.month_lock"):
        return False
    return bool(scalar(conn, "select exists (select 1 from ops.month_lock where month = %s)", (month,)))


# A password in any form a connection string takes: the user-info of a URL (`user:secret@`, up to
# the last `@` of the token, so an unencoded `@` in the secret hides the host rather than leak), and
# `password=` as a URL query parameter or a key=value DSN pair (quoted or not).
_URL_USERINFO_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^\s]+@", re.IGNORECASE)
_KEY_VALUE_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]+)""", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` (a URL, a key=value DSN, or a message quoting either) without any password in it,
    for messages and logs."""
    text = _URL_USERINFO_PASSWORD.sub(r"\1***@", text)
    return _KEY_VALUE_PASSWORD.sub(r"\1***", text)


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
