"""Shared raw-writing helpers for device data (pull, USB, push).

One batch = one transaction: keep what is new on the natural key `(device_sn, device_pin,
punch_local)`, write the `raw.ingest_batch` row (once, with its final counts) and the new punches.
A device with nothing stored yet (its first pull: the biggest load it will ever send) is COPied
straight into raw; otherwise the rows go through a temp table and an anti-join on the key. A batch
that fails rolls back entirely and is then recorded as a `failed` batch row carrying the error, so
nothing partial ever lands in raw.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg

# Columns of one punch as every source hands it over (text is COPY text format, see punch_copy_line).
PUNCH_COLUMNS = ("device_pin", "punch_local", "verify_type", "punch_state", "work_code")
USER_COLUMNS = ("uid", "device_pin", "name", "privilege", "card")

# Cap stored error text: a garbage device must not fill the batch table.
_MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class BatchResult:
    """What one batch did; `status` is 'ok' or 'failed' (then `error` says why)."""

    batch_id: int | None
    kind: str
    device_sn: str | None
    status: str
    records_read: int = 0
    records_new: int = 0
    error: str | None = None
    clock_skew_seconds: int | None = None
    device_time: datetime | None = None
    source_file: str | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class DeviceSnapshot:
    """Everything read from one device (or file) for one batch.

    `punch_copy` is COPY text (tab-separated, `\\N` for null, one line per punch) in PUNCH_COLUMNS
    order: producing it straight from the device buffer avoids building 100,000 Python tuples.
    It holds each natural key (PIN, time) once, the first occurrence: every producer drops the
    repeats a device can log, so the batch can count and insert its lines as they are.
    `records_read` counts what the source held, repeats included.
    """

    punch_copy: bytes
    records_read: int
    users: Sequence[tuple] = ()
    device_time: datetime | None = None
    server_time: datetime | None = None
    clock_skew_seconds: int | None = None


def users_sha256(users: Iterable[Sequence]) -> str:
    """The fingerprint of a device's user list (USER_COLUMNS rows), independent of their order."""
    lines = sorted("\t".join("\\N" if v is None else str(v) for v in row) for row in users)
    return hashlib.sha256("".join(line + "\n" for line in lines).encode("utf-8")).hexdigest()


def _previous_users(conn: psycopg.Connection, device_sn: str) -> tuple[str, int] | None:
    """(fingerprint, batch holding its rows) of the device's newest pulled user list, unless the
    batch holding those rows was retracted."""
    row = conn.execute(
        """select b.users_sha256, coalesce(b.users_batch_id, b.batch_id)
             from raw.ingest_batch as b
            where b.device_sn = %s and b.kind = 'pull' and b.status = 'ok' and b.users_sha256 is not null
            order by b.batch_id desc
            limit 1""",
        (device_sn,),
    ).fetchone()
    if row is None:
        return None
    retracted = conn.execute(
        "select exists (select 1 from raw.batch_retraction where batch_id = %s)", (row[1],)
    ).fetchone()
    return None if retracted and retracted[0] else (row[0], row[1])


def utcnow() -> datetime:
    return datetime.now(UTC)


# The year and month of each COPY line's punch_local (the second column, "YYYY-MM-DD HH:MM:SS").
_PUNCH_MONTH = re.compile(rb"^[^\t\n]*\t(\d{4})-(\d{2})-", re.MULTILINE)


def punch_months(punch_copy: bytes) -> list[date]:
    """The first days of the months the punches of `punch_copy` (COPY text, PUNCH_COLUMNS) fall in."""
    return sorted({date(int(year), int(month), 1) for year, month in set(_PUNCH_MONTH.findall(punch_copy))})


def ensure_punch_partitions(conn: psycopg.Connection, months: Sequence[date]) -> None:
    """The raw.device_punch partitions of `months` (migration 0015), before their punches are
    written: a backlog of old months lands in its own partitions, not in the default one. Months
    before 2015 or more than 12 ahead get none (their rows go to the default partition)."""
    if not months:
        return
    with conn.transaction():
        # a warehouse not migrated to 0015 yet (the migration test loads into one) keeps loading as before
        (present,) = conn.execute(
            "select to_regprocedure('raw.ensure_punch_partitions_for(date[])') is not null"
        ).fetchone()  # type: ignore[misc]  # one row by construction
        if present:
            conn.execute("select raw.ensure_punch_partitions_for(%s::date[])", (list(months),))


def device_lock(conn: psycopg.Connection, device_sn: str) -> None:
    # Two loads of the same device at once (a pull and a USB import) must not both count a punch
    # as new: serialise per device for the rest of the transaction.
    conn.execute(
        "select pg_advisory_xact_lock(hashtextextended('absensi.device_punch:' || %s, 0))", (device_sn,)
    )


def write_punch_batch(
    conn: psycopg.Connection,
    *,
    kind: str,
    source: str,
    device_sn: str,
    started_at: datetime,
    snapshot: DeviceSnapshot,
    source_file: str | None = None,
    content_sha256: str | None = None,
    forced_serial: str | None = None,
    after_insert: Callable[[psycopg.Connection, int], None] | None = None,
) -> BatchResult:
    """Write one batch of punches (and the device's users) in ONE transaction; returns its result.

    Raises whatever the database raises; the caller records the failure (`record_failed_batch`).
    `after_insert(conn, batch_id)` runs inside the transaction before commit (verification hooks).
    """
    t0 = time.perf_counter()
    # in a transaction of its own: creating a partition locks raw.device_punch until commit
    ensure_punch_partitions(conn, punch_months(snapshot.punch_copy))
    with conn.transaction():
        device_lock(conn, device_sn)
        first_load = not _has_punches(conn, device_sn)
        if first_load:
            # Nothing of this device is stored and a snapshot holds each key once: every punch is
            # new, so it goes straight into raw (the unique key still refuses any duplicate).
            new_count = snapshot.punch_copy.count(b"\n")
        else:
            new_count = _stage_new_punches(conn, device_sn, snapshot.punch_copy)
        # A pull reads the whole user list every time (85 devices x 3,000 users, hourly): its rows
        # are stored only when the list changed; an unchanged one points at the batch holding it.
        users_hash = users_batch = None
        if kind == "pull":
            users_hash = users_sha256(snapshot.users)
            previous = _previous_users(conn, device_sn)
            if previous is not None and previous[0] == users_hash:
                users_batch = previous[1]
        batch_id = conn.execute(
            """insert into raw.ingest_batch (kind, device_sn, source_file, content_sha256, started_at,
                   finished_at, status, records_read, records_new, device_time, server_time,
                   clock_skew_seconds, forced_serial, users_sha256, users_batch_id)
               values (%s, %s, %s, %s, %s, clock_timestamp(), 'ok', %s, %s, %s, %s, %s, %s, %s, %s)
               returning batch_id""",
            (
                kind,
                device_sn,
                source_file,
                content_sha256,
                started_at,
                snapshot.records_read,
                new_count,
                snapshot.device_time,
                snapshot.server_time,
                snapshot.clock_skew_seconds,
                forced_serial,
                users_hash,
                users_batch,
            ),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
        if first_load:
            _copy_punches(conn, device_sn, source, batch_id, snapshot.punch_copy)
        else:
            # Time order, as the natural key (device_sn, punch_local, device_pin) and the BRINs want it.
            conn.execute(
                """insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state,
                       work_code, source, batch_id)
                   select %s, device_pin, punch_local, verify_type, punch_state, work_code, %s, %s
                     from tmp_new order by punch_local, device_pin""",
                (device_sn, source, batch_id),
            )
        if snapshot.users and users_batch is None:
            with conn.cursor() as cur:
                with cur.copy(
                    "copy raw.device_user (batch_id, device_sn, uid, device_pin, name, privilege, card)"
                    " from stdin"
                ) as copy:
                    for uid, pin, name, privilege, card in snapshot.users:
                        copy.write_row((batch_id, device_sn, uid, pin, name, privilege, card))
        if after_insert is not None:
            after_insert(conn, batch_id)
    return BatchResult(
        batch_id=batch_id,
        kind=kind,
        device_sn=device_sn,
        status="ok",
        records_read=snapshot.records_read,
        records_new=new_count,
        clock_skew_seconds=snapshot.clock_skew_seconds,
        device_time=snapshot.device_time,
        source_file=source_file,
        seconds=time.perf_counter() - t0,
    )


def _has_punches(conn: psycopg.Connection, device_sn: str) -> bool:
    return conn.execute(
        "select exists (select 1 from raw.device_punch where device_sn = %s)", (device_sn,)
    ).fetchone()[0]  # type: ignore[index]  # one row by construction


def _write_copy(conn: psycopg.Connection, statement: str, data: bytes) -> None:
    with conn.cursor() as cur, cur.copy(statement) as copy:
        # psycopg buffers writes itself; large chunks keep the per-call overhead negligible.
        step = 1 << 20
        for i in range(0, len(data), step):
            copy.write(data[i : i + step])


def _copy_punches(
    conn: psycopg.Connection, device_sn: str, source: str, batch_id: int, punch_copy: bytes
) -> None:
    """COPY a snapshot straight into raw.device_punch: the batch's constant columns are appended
    to every line with one bytes.replace instead of per-row Python work."""
    constants = f"\t{copy_escape(device_sn)}\t{source}\t{batch_id}\n".encode()
    columns = ", ".join((*PUNCH_COLUMNS, "device_sn", "source", "batch_id"))
    _write_copy(conn, f"copy raw.device_punch ({columns}) from stdin", punch_copy.replace(b"\n", constants))


def _stage_new_punches(conn: psycopg.Connection, device_sn: str, punch_copy: bytes) -> int:
    """Temp table tmp_new: the snapshot's punches whose key is not stored yet; returns their count."""
    # The anti-join sorts a whole device log (100,000 rows): keep it in memory, not on temp files.
    conn.execute("set local work_mem = '64MB'")
    conn.execute(
        """create temp table tmp_punch (
               device_pin text not null, punch_local timestamp not null,
               verify_type integer, punch_state integer, work_code integer) on commit drop"""
    )
    _write_copy(conn, f"copy tmp_punch ({', '.join(PUNCH_COLUMNS)}) from stdin", punch_copy)
    return conn.execute(
        """create temp table tmp_new on commit drop as
           select t.device_pin, t.punch_local, t.verify_type, t.punch_state, t.work_code
             from tmp_punch t
            where not exists (select 1 from raw.device_punch p
                               where p.device_sn = %s and p.device_pin = t.device_pin
                                 and p.punch_local = t.punch_local)""",
        (device_sn,),
    ).rowcount


def record_failed_batch(
    conn: psycopg.Connection,
    *,
    kind: str,
    device_sn: str | None,
    started_at: datetime,
    error: str,
    records_read: int = 0,
    source_file: str | None = None,
    content_sha256: str | None = None,
    device_time: datetime | None = None,
    server_time: datetime | None = None,
    clock_skew_seconds: int | None = None,
) -> BatchResult:
    """Record a failed batch (after its data transaction rolled back): status 'failed' + the error."""
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        conn.rollback()
    error = error[:_MAX_ERROR_CHARS]
    with conn.transaction():
        batch_id = conn.execute(
            """insert into raw.ingest_batch (kind, device_sn, source_file, content_sha256, started_at,
                   finished_at, status, records_read, records_new, device_time, server_time,
                   clock_skew_seconds, error)
               values (%s, %s, %s, %s, %s, clock_timestamp(), 'failed', %s, 0, %s, %s, %s, %s)
               returning batch_id""",
            (
                kind,
                device_sn,
                source_file,
                content_sha256,
                started_at,
                records_read,
                device_time,
                server_time,
                clock_skew_seconds,
                error,
            ),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
    return BatchResult(
        batch_id=batch_id,
        kind=kind,
        device_sn=device_sn,
        status="failed",
        records_read=records_read,
        error=error,
        clock_skew_seconds=clock_skew_seconds,
        device_time=device_time,
        source_file=source_file,
    )


def copy_escape(text: str) -> str:
    """A value for COPY text format (backslash, tab, newline and CR escaped)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def punch_copy_lines(rows: Iterable[tuple[str, str, int | None, int | None, int | None]]) -> bytes:
    """COPY text for punches given as (pin, 'YYYY-MM-DD HH:MM:SS', verify, state, work_code), each
    (pin, time) once: the first occurrence wins (DeviceSnapshot)."""
    out = []
    seen: set[tuple[str, str]] = set()
    for pin, punch_local, verify, state, work_code in rows:
        if (pin, punch_local) in seen:
            continue
        seen.add((pin, punch_local))
        out.append(f"{copy_escape(pin)}\t{punch_local}\t{_num(verify)}\t{_num(state)}\t{_num(work_code)}\n")
    return "".join(out).encode()


def _num(value: int | None) -> str:
    return "\\N" if value is None else str(value)
