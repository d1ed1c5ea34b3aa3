"""The push receiver's database side: one writer thread, one connection, group commits.

Every request that touches the warehouse becomes a job on one queue. The writer takes whatever is
waiting (a morning rush of 85 devices posting at once arrives as one group), applies it in ONE
transaction and only then resolves each job, so a device hears `OK` after its punches, their
`raw.ingest_batch` row and its new upload stamp are committed, never before. A group that fails is
rolled back and retried job by job, so one device's trouble fails only that device's request.

Punch posts of one group are written per device as one batch (a device that posted twice while the
previous commit ran gets one batch row for both); a resent post adds a batch with `records_new = 0`
and no rows (natural key). Heartbeats update `ops.adms_device` (last seen) in the same groups.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from ingest.adms import protocol
from ingest.raw_loader import (
    PUNCH_COLUMNS,
    BatchResult,
    copy_escape,
    device_lock,
    ensure_punch_partitions,
    punch_months,
    record_failed_batch,
    utcnow,
)
from ingest.registry import Device, push_devices
from warehouse import db

MAX_GROUP_LINES = 200_000  # punch lines per group transaction (a group never grows without bound)
_MAX_RESULT_CHARS = 4000


class StoreUnavailable(Exception):
    """The warehouse could not take the job (down, or the transaction failed): reply an error so
    the device keeps its data and resends."""


# ---- jobs ------------------------------------------------------------------------------------
@dataclass
class Job:
    device_sn: str
    received_at: datetime
    remote: str | None
    future: Future = field(default_factory=Future, repr=False)


@dataclass
class PunchPost(Job):
    """An ATTLOG post whose every line parsed."""

    stamp: int | None = None
    parsed: protocol.ParsedPunches = field(default_factory=lambda: protocol.ParsedPunches(b"", 0))
    sha256: str = ""


@dataclass
class UserPost(Job):
    """An OPERLOG/USERINFO post: users into raw.device_user (one batch), its stamp."""

    table: str = "OPERLOG"
    stamp: int | None = None
    parsed: protocol.ParsedOperations = field(default_factory=lambda: protocol.ParsedOperations([], 0, 0))
    sha256: str = ""


@dataclass
class StampOnly(Job):
    """A post acknowledged without storing anything (photos, an empty upload): its stamp only."""

    table: str = "ATTPHOTO"
    stamp: int | None = None


@dataclass
class FailedPost(Job):
    """A post refused whole (garbage, too large): one failed batch per distinct body."""

    table: str = "ATTLOG"
    stamp: int | None = None
    error: str = ""
    sha256: str = ""
    records_read: int = 0


@dataclass
class Touch(Job):
    """Handshake, heartbeat, ping: last seen; a handshake reads the stamps, a heartbeat takes the
    pending commands (marked sent in the same transaction)."""

    request: str = "heartbeat"  # handshake | heartbeat | ping | registry
    push_version: str | None = None
    timezone: str = "UTC"


@dataclass
class Results(Job):
    """Command results posted to /iclock/devicecmd."""

    results: list[protocol.CommandResult] = field(default_factory=list)


@dataclass
class Ping(Job):
    """/healthz: the writer and its connection answer."""


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# ---- the registry, cached --------------------------------------------------------------------
class Registry:
    """The push devices of the registry, reloaded every `ttl` seconds (and at most every `retry`
    seconds when a serial is not found: a device just loaded with `absensi load devices` is
    accepted within seconds, a stranger knocking does not cost a query per request)."""

    def __init__(self, url: str, timezone: str, ttl: float = 30.0, retry: float = 5.0):
        self.url, self.timezone, self.ttl, self.retry = url, timezone, ttl, retry
        self._devices: dict[str, Device] = {}
        self._loaded_at = -1e9
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one reload at a time: 85 devices at the TTL are one query

    def load(self) -> None:
        with db.connect(self.url) as conn:
            devices = {d.device_sn: d for d in push_devices(conn, self.timezone)}
        with self._lock:
            self._devices, self._loaded_at = devices, time.monotonic()

    def cached(self, serial: str) -> tuple[Device | None, bool]:
        """(the device as cached, whether that answer is fresh enough to use without a reload)."""
        age = time.monotonic() - self._loaded_at
        device = self._devices.get(serial)
        return device, not (age > self.ttl or (device is None and age > self.retry))

    def get(self, serial: str) -> Device | None:
        """The push device, or None (unknown, not push, inactive). May read the warehouse: call it
        from a thread when `cached` says the answer is stale."""
        device, fresh = self.cached(serial)
        if fresh:
            return device
        with self._loading:
            device, fresh = self.cached(serial)  # another request may have reloaded meanwhile
            if not fresh:
                self.load()
                device = self._devices.get(serial)
        return device


# ---- the writer ------------------------------------------------------------------------------
class Store:
    """Owns the writer thread. `submit(job)` returns the job's Future (resolved after commit)."""

    def __init__(self, url: str):
        self.url = url
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._conn: psycopg.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="adms-writer", daemon=True)
        self.groups = 0  # transactions committed (for the benchmark and /healthz)

    def start(self) -> Store:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._conn is not None:
            self._conn.close()

    def submit(self, job: Job) -> Future:
        self._queue.put(job)
        return job.future

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    # -- the loop --
    def _take(self) -> tuple[list[Job], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        jobs, lines, stop = [first], _lines_of(first), False
        while lines < MAX_GROUP_LINES:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                stop = True
                break
            jobs.append(job)
            lines += _lines_of(job)
        return jobs, stop

    def _run(self) -> None:
        while True:
            jobs, stop = self._take()
            if jobs:
                self._process(jobs)
            if stop:
                # Drain what arrived after the stop request too: nothing queued is left unanswered.
                rest = []
                while True:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        rest.append(job)
                if rest:
                    self._process(rest)
                return

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = psycopg.connect(self.url, connect_timeout=10)
            with conn.transaction():
                create_temp_tables(conn)
            self._conn = conn
        return self._conn

    def _process(self, jobs: list[Job]) -> None:
        try:
            conn = self._connection()
        except psycopg.Error as exc:
            self._conn = None
            for job in jobs:
                _fail(job, StoreUnavailable(f"database tidak terjangkau: {_first_line(exc)}"))
            time.sleep(0.5)  # a down database is not hammered by every device at once
            return
        try:
            with conn.transaction():
                answers = self._apply(conn, jobs)
        except Exception:  # noqa: BLE001 - isolate the job that broke the group
            if conn.broken:
                self._conn = None
            # Each job once more on its own, in arrival order (a device's posts stay in order); a
            # transient failure of a lone job gets this second chance too.
            for job in jobs:
                self._alone(job)
            return
        self.groups += 1
        for job, answer in zip(jobs, answers, strict=True):
            job.future.set_result(answer)

    def _alone(self, job: Job) -> None:
        try:
            conn = self._connection()
            with conn.transaction():
                answer = self._apply(conn, [job])[0]
        except Exception as exc:  # noqa: BLE001 - this job's own failure
            if self._conn is not None and self._conn.broken:
                self._conn = None
            self._record_write_failure(job, exc)
            _fail(job, StoreUnavailable(f"gagal disimpan: {_first_line(exc)}"))
            return
        self.groups += 1
        job.future.set_result(answer)

    def _record_write_failure(self, job: Job, exc: BaseException) -> None:
        """A valid post the database refused: a failed batch says so (best effort: the database
        may be the thing that is down)."""
        if not isinstance(job, PunchPost | UserPost):
            return
        try:
            conn = self._connection()
            table = "ATTLOG" if isinstance(job, PunchPost) else job.table
            with conn.transaction():
                _failed_once(
                    conn,
                    job.device_sn,
                    started_at=job.received_at,
                    table=table,
                    stamp=job.stamp,
                    error=f"mesin {job.device_sn}: kiriman {table} gagal disimpan: {type(exc).__name__}: {_first_line(exc)}",
                    sha256=job.sha256,
                    records_read=job.parsed.records if isinstance(job, PunchPost) else len(job.parsed.users),
                )
        except Exception:  # noqa: BLE001 - nothing more can be recorded; the device resends
            if self._conn is not None and self._conn.broken:
                self._conn = None

    # -- one transaction --
    def _apply(self, conn: psycopg.Connection, jobs: Sequence[Job]) -> list[object]:
        answers: list[object] = [None] * len(jobs)
        punches = [(i, j) for i, j in enumerate(jobs) if isinstance(j, PunchPost)]
        if punches:
            results = _write_punch_posts(conn, [j for _i, j in punches])
            for (i, _job), result in zip(punches, results, strict=True):
                answers[i] = result
        for i, job in enumerate(jobs):
            if isinstance(job, PunchPost):
                continue
            answers[i] = self._apply_one(conn, job)
        return answers

    def _apply_one(self, conn: psycopg.Connection, job: Job) -> object:
        if isinstance(job, Touch):
            return _touch(conn, job)
        if isinstance(job, UserPost):
            return _write_user_post(conn, job)
        if isinstance(job, StampOnly):
            _seen(conn, job.device_sn, job.remote, job.table, stamps={job.table: job.stamp})
            return None
        if isinstance(job, FailedPost):
            _seen(conn, job.device_sn, job.remote, job.table)
            return _failed_once(
                conn,
                job.device_sn,
                started_at=job.received_at,
                table=job.table,
                stamp=job.stamp,
                error=job.error,
                sha256=job.sha256,
                records_read=job.records_read,
            )
        if isinstance(job, Results):
            return _store_results(conn, job)
        if isinstance(job, Ping):
            return conn.execute("select 1").fetchone()
        raise TypeError(f"unknown job {type(job).__name__}")


def _lines_of(job: Job) -> int:
    return job.parsed.records if isinstance(job, PunchPost) else 1


def _fail(job: Job, exc: BaseException) -> None:
    if not job.future.done():
        job.future.set_exception(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


# ---- SQL -------------------------------------------------------------------------------------
_STAMP_COLUMNS = {"ATTLOG": "attlog_stamp", "OPERLOG": "operlog_stamp", "ATTPHOTO": "attphoto_stamp"}


def _seen(
    conn: psycopg.Connection,
    device_sn: str,
    remote: str | None,
    request: str,
    *,
    stamps: dict[str, int | None] | None = None,
    push_version: str | None = None,
) -> None:
    """Upsert the device's last-seen row; a posted stamp replaces the stored one (a device's posts
    are serial, so the newest post carries its newest stamp, even after its log was reset)."""
    sets = [
        "last_seen_at = now()",
        "last_seen_from = excluded.last_seen_from",
        "last_request = excluded.last_request",
    ]
    columns = ["device_sn", "last_seen_from", "last_request"]
    values: list[object] = [device_sn, remote, request]
    for table, stamp in (stamps or {}).items():
        if stamp is not None and table in _STAMP_COLUMNS:
            column = _STAMP_COLUMNS[table]
            columns.append(column)
            values.append(stamp)
            sets.append(f"{column} = excluded.{column}")
    if push_version:
        columns.append("push_version")
        values.append(push_version[:40])
        sets.append("push_version = excluded.push_version")
    conn.execute(
        f"""insert into ops.adms_device ({", ".join(columns)}) values ({", ".join(["%s"] * len(values))})
            on conflict (device_sn) do update set {", ".join(sets)}""",
        values,
    )


def _touch(conn: psycopg.Connection, job: Touch) -> object:
    _seen(conn, job.device_sn, job.remote, job.request, push_version=job.push_version)
    if job.request == "handshake":
        row = conn.execute(
            "select attlog_stamp, operlog_stamp, attphoto_stamp from ops.adms_device where device_sn = %s",
            (job.device_sn,),
        ).fetchone()
        return protocol.Stamps(*row) if row else protocol.Stamps()
    if job.request == "heartbeat":
        pending = conn.execute(
            """select command_id, command from ops.adms_command
                where device_sn = %s and sent_at is null order by command_id limit 20""",
            (job.device_sn,),
        ).fetchall()
        commands = []
        now = utcnow()
        for command_id, command in pending:
            text = protocol.command_text(command, timezone=job.timezone, at=now)
            conn.execute(
                "update ops.adms_command set sent_at = now(), sent_text = %s where command_id = %s",
                (text, command_id),
            )
            commands.append((command_id, text))
        return commands
    return None


def _store_results(conn: psycopg.Connection, job: Results) -> int:
    _seen(conn, job.device_sn, job.remote, "devicecmd")
    stored = 0
    for result in job.results:
        row = conn.execute(
            """update ops.adms_command set result_at = now(), return_code = %s, result = %s
                where command_id = %s and device_sn = %s returning command""",
            (result.return_code, result.text.strip()[:_MAX_RESULT_CHARS], result.command_id, job.device_sn),
        ).fetchone()
        if row is None:
            continue  # not ours (another device's id, or a command queued by some other server)
        stored += 1
        if row[0] == "INFO" and result.values:
            conn.execute(
                "update ops.adms_device set device_info = %s::jsonb where device_sn = %s",
                (json.dumps(result.values), job.device_sn),
            )
    return stored


def _source_label(table: str, stamps: Sequence[int | None], posts: int) -> str:
    known = [s for s in stamps if s is not None]
    label = f"iclock {table}"
    if known:
        label += f" Stamp={known[-1]}" if len(known) == 1 else f" Stamp={min(known)}..{max(known)}"
    return label + (f" ({posts} kiriman)" if posts > 1 else "")


def _write_punch_posts(conn: psycopg.Connection, posts: Sequence[PunchPost]) -> list[BatchResult]:
    """The punch posts of a group: one batch per device, each key once, only new keys inserted.
    Returns each post's device batch (posts of one device share it)."""
    by_device: dict[str, list[PunchPost]] = {}
    for post in posts:
        by_device.setdefault(post.device_sn, []).append(post)
    # the months' partitions first (migration 0015), then the device locks as every loader takes them
    ensure_punch_partitions(conn, sorted({m for post in posts for m in punch_months(post.parsed.punch_copy)}))
    for device_sn in sorted(by_device):  # one order everywhere: no deadlock with a pull or USB import
        device_lock(conn, device_sn)
    # The staging tables have no statistics (temporary, emptied at every commit), so the planner
    # guesses their size; a wrong guess hashes a whole device history instead of probing the
    # natural key once per posted line. Probe, always.
    conn.execute(
        "set local work_mem = '64MB'; set local enable_hashjoin = off; set local enable_mergejoin = off"
    )
    # Each post's COPY text already holds each key once; the batch's constant columns are appended
    # to every line with one bytes.replace (no per-line Python work).
    columns = ", ".join((*PUNCH_COLUMNS, "device_sn", "post"))
    with conn.cursor() as cur, cur.copy(f"copy tmp_push ({columns}) from stdin") as copy:
        for number, post in enumerate(posts):
            suffix = f"\t{copy_escape(post.device_sn)}\t{number}\n".encode()
            copy.write(post.parsed.punch_copy.replace(b"\n", suffix))
    # Each key once (the first post wins; a post holds each key once already, so only several posts
    # of one device need the sort), then only keys raw does not hold yet.
    repeated = any(len(device_posts) > 1 for device_posts in by_device.values())
    firsts = (
        "select distinct on (device_sn, device_pin, punch_local) * from tmp_push "
        "order by device_sn, device_pin, punch_local, post"
        if repeated
        else "select * from tmp_push"
    )
    new_counts: dict[str, int] = dict(
        conn.execute(
            f"""with firsts as ({firsts}), kept as (
                   insert into tmp_push_new
                   select f.device_sn, f.device_pin, f.punch_local, f.verify_type, f.punch_state, f.work_code
                     from firsts f
                    where not exists (select 1 from raw.device_punch p
                                       where p.device_sn = f.device_sn and p.punch_local = f.punch_local
                                         and p.device_pin = f.device_pin)
                   returning device_sn
               )
               select device_sn, count(*) from kept group by device_sn"""
        ).fetchall()
    )
    batches: dict[str, BatchResult] = {}
    for device_sn, device_posts in by_device.items():
        read = sum(p.parsed.records for p in device_posts)
        new = int(new_counts.get(device_sn, 0))
        first, last = device_posts[0], device_posts[-1]
        source = _source_label("ATTLOG", [p.stamp for p in device_posts], len(device_posts))
        sha = first.sha256 if len(device_posts) == 1 else None
        batch_id = conn.execute(
            """insert into raw.ingest_batch (kind, device_sn, source_file, content_sha256, started_at,
                   finished_at, status, records_read, records_new, server_time)
               values ('push', %s, %s, %s, %s, clock_timestamp(), 'ok', %s, %s, %s) returning batch_id""",
            (device_sn, source, sha, first.received_at, read, new, last.received_at),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
        if new:
            conn.execute(
                """insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state,
                       work_code, source, batch_id)
                   select device_sn, device_pin, punch_local, verify_type, punch_state, work_code, 'push', %s
                     from tmp_push_new where device_sn = %s order by punch_local, device_pin""",
                (batch_id, device_sn),
            )
        _seen(conn, device_sn, last.remote, "ATTLOG", stamps={"ATTLOG": last.stamp})
        batches[device_sn] = BatchResult(
            batch_id=batch_id,
            kind="push",
            device_sn=device_sn,
            status="ok",
            records_read=read,
            records_new=new,
            source_file=source,
        )
    return [batches[post.device_sn] for post in posts]


def create_temp_tables(conn: psycopg.Connection) -> None:
    """The groups' staging tables, created once per session (the writer's connection), kept across
    transactions and emptied at each commit: no catalog churn per group."""
    conn.execute(
        """create temp table if not exists tmp_push (
               device_sn text not null, post integer not null,
               device_pin text not null, punch_local timestamp not null,
               verify_type integer, punch_state integer, work_code integer) on commit delete rows"""
    )
    conn.execute(
        """create temp table if not exists tmp_push_new (
               device_sn text not null, device_pin text not null, punch_local timestamp not null,
               verify_type integer, punch_state integer, work_code integer) on commit delete rows"""
    )


def _write_user_post(conn: psycopg.Connection, post: UserPost) -> BatchResult | None:
    _seen(conn, post.device_sn, post.remote, post.table, stamps={post.table: post.stamp})
    if not post.parsed.users:
        return None  # operation-log lines only: nothing to store, the stamp moves on
    source = _source_label(post.table, [post.stamp], 1)
    batch_id = conn.execute(
        """insert into raw.ingest_batch (kind, device_sn, source_file, content_sha256, started_at,
               finished_at, status, records_read, records_new, server_time)
           values ('push', %s, %s, %s, %s, clock_timestamp(), 'ok', 0, 0, %s) returning batch_id""",
        (post.device_sn, source, post.sha256, post.received_at, post.received_at),
    ).fetchone()[0]  # type: ignore[index]  # one row by construction
    with conn.cursor() as cur:
        with cur.copy(
            "copy raw.device_user (batch_id, device_sn, uid, device_pin, name, privilege, card) from stdin"
        ) as copy:
            for uid, pin, name, privilege, card in post.parsed.users:
                copy.write_row((batch_id, post.device_sn, uid, pin, name, privilege, card))
    return BatchResult(
        batch_id=batch_id, kind="push", device_sn=post.device_sn, status="ok", source_file=source
    )


def _failed_once(
    conn: psycopg.Connection,
    device_sn: str,
    *,
    started_at: datetime,
    table: str,
    stamp: int | None,
    error: str,
    sha256: str,
    records_read: int,
) -> BatchResult | None:
    """A failed push batch, unless this device's same body already failed: a device resends a
    refused post every ErrorDelay seconds, and one row per distinct body says all there is."""
    already = conn.execute(
        """select batch_id from raw.ingest_batch
            where device_sn = %s and kind = 'push' and status = 'failed' and content_sha256 = %s
            order by batch_id desc limit 1""",
        (device_sn, sha256),
    ).fetchone()
    if already:
        return None
    # record_failed_batch commits in its own transaction block: inside ours it is a savepoint.
    return record_failed_batch(
        conn,
        kind="push",
        device_sn=device_sn,
        started_at=started_at,
        error=error,
        records_read=records_read,
        source_file=_source_label(table, [stamp], 1),
        content_sha256=sha256,
        server_time=started_at,
    )
