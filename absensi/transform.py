"""Run the dbt project (`dbt build`: seeds, models, data tests, unit tests) against the warehouse.

The CLI (`absensi transform`) and the hourly/monthly DAGs call `run_build` with the warehouse URL
and the settings they resolved; the connection reaches dbt through the environment variables
`dbt/profiles.yml` reads.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import importlib.metadata
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse import db
from warehouse.errors import UserError
from warehouse.months import previous_month
from warehouse.settings import DBT_PROJECT_DIR, ENV_TRANSFORM_WAIT, Settings

# dbt runs in-process and reads its settings from os.environ: one build at a time per process.
_BUILD_LOCK = threading.Lock()
# ...and one build at a time per warehouse, whoever starts it (the hourly DAG, `absensi transform`
# by hand, the monthly close): two builds of the incremental models at once would each delete and
# re-insert the same days. A session advisory lock, held for the build, released on disconnect.
_WAREHOUSE_LOCK_KEY = 0x4142534E_42554C44  # "ABSN" "BULD"


# dbt vars pasted into SQL as dates (`'{{ var(...) }}'::date`): PostgreSQL reads '01/10/2026' as
# 10 January under its default DateStyle, so every one is checked here first, ISO only. Any other
# var whose name ends in one of DATE_VAR_SUFFIXES is treated as a date too.
DATE_VARS = ("attendance_start", "attendance_end", "min_plausible_punch")
DATE_VAR_SUFFIXES = ("_start", "_end", "_date")
# The window vars may be empty (dbt_project.yml's default: derive the bound from the data).
OPTIONAL_DATE_VARS = ("attendance_start", "attendance_end")
# dbt vars pasted into SQL as whole numbers.
INTEGER_VARS = (
    "lookback_days",
    "batch_id_lookback",
    "late_commit_minutes",
    "silent_workdays",
    "device_log_capacity",
)
DATE_VAR_RANGE = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))

# Issue 21 item 4: what an hourly build selects once the warehouse records the manifest of its last
# complete build (DEPLOYED_STATE_TABLE): every node whose definition changed since (SQL, config, a
# macro it calls, a seed's contents) and everything downstream of one; every table and incremental
# model (their contents follow the data); and everything downstream of a table — dbt rebuilds a table
# by swapping in a new relation and drops the old one with `cascade`, which drops the views over it.
# What is left out: the views over raw and seeds and the seeds themselves, unchanged, with their data
# tests. Their data tests run in every complete build (the monthly close, --full-refresh, CI).
CHANGED_ONLY_SELECTORS = ("state:modified+", "config.materialized:incremental", "config.materialized:table+")
# The manifest of the last complete build in this warehouse, written after it succeeded; dbt's own
# schema, not a raw table. No row (a new warehouse), another dbt or other vars: build everything.
DEPLOYED_STATE_TABLE = "intermediate.dbt_deployed_state"
# A month-by-month refresh's months before the last build only what the incremental models need (they
# and their ancestors), without data tests; the last month builds everything and runs every test.
# Whole-history tables downstream are pure functions of their inputs: built once, at the end.
REFRESH_MONTH_SELECTORS = ("+config.materialized:incremental",)
# ... and after a month built in the same refresh, of those only the tables and what is built over
# them (a table's rebuild drops the views over it): the seeds and the staging views did not change
# since (reloading 20 seeds and re-creating 24 views cost ~4 s a month).
REFRESH_LATER_MONTH_SELECTORS = ("+config.materialized:incremental,config.materialized:table+",)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date_var(name: str) -> bool:
    return name in DATE_VARS or name.endswith(DATE_VAR_SUFFIXES)


def _check_date_var(name: str, value: Any) -> str:
    if isinstance(value, dt.datetime):  # YAML reads an unquoted 2026-01-01 10:00 as a datetime
        raise UserError(f"--vars {name}: {value.isoformat(sep=' ')!r} bukan tanggal; gunakan YYYY-MM-DD")
    if isinstance(value, dt.date):  # YAML reads an unquoted 2026-01-01 as a date
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise UserError(f"--vars {name}: {value!r} bukan tanggal yang ada di kalender") from None
    else:
        raise UserError(f"--vars {name}: {value!r} bukan tanggal YYYY-MM-DD (contoh 2026-01-31)")
    low, high = DATE_VAR_RANGE
    if not low <= day <= high:
        raise UserError(f"--vars {name}: {day.isoformat()} di luar rentang {low.year}-{high.year}")
    return day.isoformat()


# dbt vars pasted into SQL as local timestamps ('YYYY-MM-DD HH:MM[:SS]'): `as_of`, the fixed clock that
# decides which days have ended (issue 13; empty = the database clock).
TIMESTAMP_VARS = ("as_of",)
_ISO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?")


def _check_timestamp_var(name: str, value: Any) -> str:
    if isinstance(value, dt.datetime):  # YAML reads an unquoted 2026-10-30 10:00 as a datetime
        moment = value
    elif isinstance(value, str) and _ISO_TIMESTAMP.fullmatch(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise UserError(f"--vars {name}: {value!r} bukan waktu yang ada di kalender") from None
    else:
        raise UserError(
            f"--vars {name}: {value!r} bukan waktu YYYY-MM-DD HH:MM (jam setempat, contoh 2026-10-30 10:00)"
        )
    if moment.tzinfo is not None:
        raise UserError(f"--vars {name}: tulis jam setempat tanpa zona waktu (YYYY-MM-DD HH:MM)")
    low, high = DATE_VAR_RANGE
    if not low <= moment.date() <= high:
        raise UserError(f"--vars {name}: {moment:%Y-%m-%d} di luar rentang {low.year}-{high.year}")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def validate_vars(vars: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The dbt vars, checked before any reaches SQL: dates ISO `YYYY-MM-DD` and real (the window
    vars may be empty), attendance_start <= attendance_end, whole-number vars whole numbers >= 0.
    Raises UserError (one line, naming the var) on the first problem; returns the vars with dates
    normalised to 'YYYY-MM-DD' strings."""
    if not vars:
        return None
    checked: dict[str, Any] = {}
    for name, value in vars.items():
        if not isinstance(name, str):
            raise UserError(f"--vars: nama variabel {name!r} harus teks")
        if name in OPTIONAL_DATE_VARS and value in ("", None):
            checked[name] = ""
        elif name in TIMESTAMP_VARS:
            checked[name] = "" if value in ("", None) else _check_timestamp_var(name, value)
        elif _is_date_var(name):
            checked[name] = _check_date_var(name, value)
        elif name in INTEGER_VARS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise UserError(f"--vars {name}: {value!r} harus bilangan bulat >= 0")
            checked[name] = value
        else:
            checked[name] = value
    start, end = checked.get("attendance_start"), checked.get("attendance_end")
    if start and end and start > end:
        raise UserError(f"--vars: attendance_start {start} sesudah attendance_end {end}; tukar urutannya")
    return checked


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str | None
    seconds: float


@dataclass
class BuildResult:
    """What one `dbt build` did."""

    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)

    def count(self, resource_type: str) -> int:
        return sum(1 for n in self.nodes if n.resource_type == resource_type)

    @property
    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


def dbt_env(url: str, settings: Settings) -> dict[str, str]:
    """The environment variables dbt/profiles.yml and dbt_project.yml read, for the database at `url`."""
    parts = db.conninfo_parts(url)
    return {
        "ABSENSI_DBT_HOST": parts["host"],
        "ABSENSI_DBT_PORT": parts["port"],
        "ABSENSI_DBT_USER": parts["user"],
        "ABSENSI_DBT_PASSWORD": parts["password"],
        "ABSENSI_DBT_DBNAME": parts["dbname"],
        "ABSENSI_DBT_THREADS": str(settings.dbt_threads),
        "ABSENSI_TIMEZONE": settings.timezone,
        "ABSENSI_REGENCY_PROFILE": settings.regency_profile,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def build_args(
    *,
    select: Sequence[str] | str | None = None,
    full_refresh: bool = False,
    vars: Mapping[str, Any] | None = None,
    command: str = "build",
    unit_tests: bool = True,
    data_tests: bool = True,
    state_dir: Path | None = None,
) -> list[str]:
    args = [command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if select:
        selectors = [select] if isinstance(select, str) else list(select)
        args += ["--select", *selectors]
    elif state_dir is not None:
        args += ["--select", *CHANGED_ONLY_SELECTORS, "--state", str(state_dir)]
    if full_refresh:
        args.append("--full-refresh")
    if vars:
        args += ["--vars", json.dumps(dict(vars))]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if not data_tests:
        args += ["--exclude-resource-type", "test"]
    return args


def run_build(
    url: str,
    settings: Settings,
    *,
    select: Sequence[str] | str | None = None,
    full_refresh: bool = False,
    vars: Mapping[str, Any] | None = None,
    on_node: Callable[[NodeResult], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    unit_tests: bool = True,
    data_tests: bool = True,
    changed_only: bool = False,
) -> BuildResult:
    """`dbt build` the project against `url`; raises UserError naming the failed models/tests with
    dbt's message. `settings` gives the regency's timezone, dbt's threads and how long to wait for
    another build.

    `vars` are dbt vars (e.g. attendance_start/attendance_end as 'YYYY-MM-DD'); `on_node` is called
    after each seed, model or test finishes, and `on_total` with the number of nodes the build runs,
    unit tests included (progress display: "12/156"). `unit_tests=False` skips the rule unit tests
    (they test SQL, not data: the hourly DAG may skip them; CI and the CLI run them);
    `data_tests=False` skips the data tests too (a month-by-month refresh's months before the last).

    `changed_only=True` (the hourly run; ignored with `select` or `full_refresh`): rebuild the views
    and seeds only when their definition changed since the last complete build of this warehouse
    (CHANGED_ONLY_SELECTORS against the manifest in DEPLOYED_STATE_TABLE); without a usable record
    (first build, different vars or dbt, a view or seed missing) everything is built. Every complete
    build (no `select`) that succeeds records its manifest there.
    """
    from dbt.cli.main import dbtRunner

    vars = validate_vars(vars)  # before dbt and before the database: nothing runs on a bad date
    db.connect(url).close()  # one clear line when the warehouse is unreachable, before dbt starts
    # dbt logs in as its own login when the deployment has one (the transform role only: it cannot
    # write raw, the month locks or the quality gate's results); the lock stays on `url`'s session.
    dbt_url = settings.dbt_database_url or url
    if dbt_url != url:
        db.connect(dbt_url).close()
    nodes: list[NodeResult] = []
    totals = [0]

    def callback(event: Any) -> None:
        # Each node's LogStartLine carries how many nodes the build runs ("START ... [1 of 156]"),
        # unit tests included (ConcurrencyLine's node_count leaves them out in `dbt build`);
        # NodeFinished carries each node's final status; other events are dbt's own logging.
        if event.info.name == "LogStartLine":
            total = int(event.data.total)
            if on_total is not None and total != totals[-1]:
                totals.append(total)
                on_total(total)
            return
        if event.info.name != "NodeFinished":
            return
        data = event.data
        info = data.node_info
        result = NodeResult(
            unique_id=info.unique_id,
            resource_type=info.resource_type,
            status=info.node_status,
            message=(data.run_result.message or None) if data.HasField("run_result") else None,
            seconds=float(data.run_result.execution_time) if data.HasField("run_result") else 0.0,
        )
        nodes.append(result)
        if on_node is not None:
            on_node(result)

    fingerprint = _state_fingerprint(vars, settings)
    started = time.monotonic()
    with (
        _BUILD_LOCK,
        _warehouse_build_lock(url, settings.transform_wait),
        _environment(dbt_env(dbt_url, settings)),
        tempfile.TemporaryDirectory(prefix="absensi-dbt-state-") as state_tmp,
    ):
        # read under the build lock: the build that holds it may be about to record a new manifest
        state_dir = None
        if changed_only and not select and not full_refresh:
            state_dir = _load_deployed_state(dbt_url, fingerprint, Path(state_tmp))
        args = build_args(
            select=select,
            full_refresh=full_refresh,
            vars=vars,
            unit_tests=unit_tests,
            data_tests=data_tests,
            state_dir=state_dir,
        )
        args.append("--quiet")  # progress comes from the callback; dbt's own log goes to dbt/logs
        runner = dbtRunner(callbacks=[callback])
        outcome = runner.invoke(args)
        if not outcome.success and deadlocked(nodes):
            # Two threads replacing views that share a dependent view can deadlock in PostgreSQL
            # (each `drop … cascade` locks the dependents' rules in its own order). The build is safe
            # to run again (the watermark moves only at its end): once, with what failed reported if
            # it fails again.
            nodes.clear()
            outcome = runner.invoke(args)
        if outcome.success and not select:
            _save_deployed_state(dbt_url, fingerprint)
    seconds = time.monotonic() - started
    result = BuildResult(success=bool(outcome.success), seconds=seconds, nodes=nodes)
    if not outcome.success:
        raise UserError(_failure_message(outcome, result))
    if select and not nodes:
        selectors = [select] if isinstance(select, str) else list(select)
        raise UserError(
            f"--select {' '.join(selectors)} tidak cocok dengan node dbt mana pun; tidak ada yang dibangun "
            "(periksa nama model di dbt/models)"
        )
    return result


def deadlocked(nodes: Sequence[NodeResult]) -> bool:
    """Whether a node of a failed build failed on a PostgreSQL deadlock (not on the data or the SQL)."""
    return any(n.status == "error" and "deadlock detected" in (n.message or "") for n in nodes)


def _state_fingerprint(vars: Mapping[str, Any] | None, settings: Settings) -> str:
    """What besides the project files decides the SQL of a view: the vars (pasted into SQL), the
    regency's timezone and dbt's version. A saved manifest is compared only under the same ones."""
    inputs = {
        "vars": dict(vars or {}),
        "timezone": settings.timezone,
        "dbt": importlib.metadata.version("dbt-core"),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _load_deployed_state(dbt_url: str, fingerprint: str, state_dir: Path) -> Path | None:
    """Write the manifest of this warehouse's last complete build into `state_dir` and return it;
    None (build everything) when there is none, it was built under another fingerprint, or one of
    the views or seeds it built is missing (dropped by hand, or by a `cascade`)."""
    with db.connect(dbt_url, autocommit=True) as conn:
        if not db.relation_exists(conn, DEPLOYED_STATE_TABLE):
            return None
        row = conn.execute(
            f"select manifest_gz from {DEPLOYED_STATE_TABLE} where fingerprint = %s", (fingerprint,)
        ).fetchone()
        if row is None:
            return None
        manifest_bytes = gzip.decompress(row[0])
        manifest = json.loads(manifest_bytes)
        kept = [
            f'"{node["schema"]}"."{node["alias"]}"'
            for node in manifest.get("nodes", {}).values()
            if node.get("resource_type") == "seed"
            or (node.get("resource_type") == "model" and node.get("config", {}).get("materialized") == "view")
        ]
        missing = db.scalar(
            conn, "select count(*) from unnest(%s::text[]) as name where to_regclass(name) is null", (kept,)
        )
    if missing:
        return None
    (state_dir / "manifest.json").write_bytes(manifest_bytes)
    return state_dir


def _save_deployed_state(dbt_url: str, fingerprint: str) -> None:
    """Record the manifest of the complete build that just succeeded (dbt wrote it to target/)."""
    manifest = (DBT_PROJECT_DIR / "target" / "manifest.json").read_bytes()
    with db.connect(dbt_url) as conn:
        conn.execute(
            f"""create table if not exists {DEPLOYED_STATE_TABLE} (
                    singleton boolean primary key default true check (singleton),
                    fingerprint text not null,
                    manifest_gz bytea not null,
                    saved_at timestamptz not null default now()
                )"""
        )
        conn.execute(
            f"""insert into {DEPLOYED_STATE_TABLE} (fingerprint, manifest_gz) values (%s, %s)
                on conflict (singleton) do update
                set fingerprint = excluded.fingerprint, manifest_gz = excluded.manifest_gz, saved_at = now()""",
            (fingerprint, gzip.compress(manifest, compresslevel=5)),
        )


@contextmanager
def _warehouse_build_lock(url: str, wait: float, *, application: str | None = None) -> Iterator[None]:
    """Hold the warehouse's build lock for the block; wait for another build at most `wait`
    seconds (ABSENSI_TRANSFORM_WAIT), then refuse naming who holds it. While a month-by-month full
    refresh holds it (`refresh_by_month`), refuse at once with RefreshInProgress: the hourly run is
    skipped, not queued behind a refresh that may take longer than its wait.

    Re-entrant within a thread: the refresh driver holds the lock across its monthly builds, and
    each build it runs (run_build) finds it already held. `application` names the holding session
    (pg_stat_activity.application_name), which is how another process recognises a refresh."""
    import psycopg

    held = _held_locks()
    if url in held:
        yield
        return
    with db.connect(url, autocommit=True) as conn:
        if application:
            conn.execute("select set_config('application_name', %s, false)", (application,))
        got = db.scalar(conn, "select pg_try_advisory_lock(%s)", (_WAREHOUSE_LOCK_KEY,))
        if not got:
            _refuse_if_refreshing(url)
            conn.execute(f"set lock_timeout = {max(1, round(wait * 1000))}")
            try:
                conn.execute("select pg_advisory_lock(%s)", (_WAREHOUSE_LOCK_KEY,))
            except psycopg.errors.LockNotAvailable as exc:
                _refuse_if_refreshing(url)
                raise UserError(
                    f"transformasi lain masih berjalan di database ini ({_build_holder(url)}); "
                    f"sudah ditunggu {wait:g} detik ({ENV_TRANSFORM_WAIT}), coba lagi nanti"
                ) from exc
        held.add(url)
        try:
            yield  # closing the connection releases the lock, also when the build fails
        finally:
            held.discard(url)


_LOCKS_HELD = threading.local()


def _held_locks() -> set[str]:
    """The warehouse URLs whose build lock this thread holds."""
    if not hasattr(_LOCKS_HELD, "urls"):
        _LOCKS_HELD.urls = set()
    urls: set[str] = _LOCKS_HELD.urls
    return urls


def _build_holder_row(url: str) -> tuple[int, str, dt.datetime] | None:
    """The session holding the build lock: (pid, application_name, backend_start), or None."""
    with db.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """select a.pid, coalesce(nullif(a.application_name, ''), '?'), a.backend_start
                 from pg_locks l join pg_stat_activity a on a.pid = l.pid
                where l.locktype = 'advisory' and l.granted
                  and l.objid = (%s::bigint & 4294967295)::oid and l.classid = (%s::bigint >> 32)::oid
                limit 1""",
            (_WAREHOUSE_LOCK_KEY, _WAREHOUSE_LOCK_KEY),
        ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), row[2])


def _build_holder(url: str) -> str:
    """Who holds the build lock: the backend's pid, application and since when."""
    row = _build_holder_row(url)
    if row is None:
        return "pemegangnya sudah selesai"
    pid, application, since = row
    return f"koneksi pid {pid}, {application}, sejak {since:%Y-%m-%d %H:%M:%S}"


def _failure_message(outcome: Any, result: BuildResult) -> str:
    failed = []
    for item in getattr(outcome.result, "results", None) or []:
        status = str(getattr(item, "status", ""))
        if status in ("error", "fail", "runtime error"):
            message = " ".join(str(item.message or status).split())
            failed.append(f"{item.node.unique_id}: {message}")
    if not failed and outcome.exception is not None:
        failed.append(" ".join(str(outcome.exception).split()))
    if not failed:
        failed.append("dbt build gagal tanpa pesan (lihat dbt/logs/dbt.log)")
    shown = "; ".join(failed[:5])
    more = f" (dan {len(failed) - 5} lainnya)" if len(failed) > 5 else ""
    return f"dbt build gagal: {shown}{more}"


# ---------------------------------------------------------------------------------------------
# Full refresh month by month (issue 21). One `dbt build --full-refresh` over years of history
# builds every month in one statement per model: hours at a province's size, tens of GB of temporary
# files, and the hourly run gives up behind it. `refresh_by_month` instead rebuilds the first month
# of the window with --full-refresh, then extends the window one month per incremental build (the
# window's end is the only var that changes: int_attendance_touched's 'new_days' range is then that
# month). After each month the warehouse is a consistent warehouse whose window ends there (facts,
# monthly rows, watermark), and ops.transform_refresh records the month: a refresh killed in month
# 8 of 12 continues with month 8 when run again, and its final marts equal a one-shot refresh.

REFRESH_APPLICATION = "absensi full-refresh"
ENV_REFRESH_WORK_MEM = "ABSENSI_REFRESH_WORK_MEM"
ENV_REFRESH_PARALLEL_WORKERS = "ABSENSI_REFRESH_PARALLEL_WORKERS"
DEFAULT_REFRESH_WORK_MEM = "256MB"
DEFAULT_REFRESH_PARALLEL_WORKERS = 2
_MEMORY = re.compile(r"[1-9][0-9]*(kB|MB|GB)")


class RefreshInProgress(UserError):
    """A month-by-month full refresh holds the build lock: this build is skipped (the hourly run
    catches up at its next hour)."""


@dataclass(frozen=True)
class RefreshMonth:
    index: int  # 1-based
    total: int
    month: dt.date  # first day
    window_end: str  # the attendance_end this month's build ran with ('' = today)


@dataclass
class RefreshResult:
    refresh_id: int
    months: list[RefreshMonth]
    resumed_from: int  # 1 = started from the first month
    seconds: float
    builds: list[BuildResult] = field(default_factory=list)

    def count(self, resource_type: str) -> int:
        return sum(b.count(resource_type) for b in self.builds)


def refresh_session_options(environ: Mapping[str, str] | None = None) -> str:
    """The libpq PGOPTIONS every connection of a refresh's builds starts with: work_mem for the
    month's sorts and hashes (ABSENSI_REFRESH_WORK_MEM, default 256MB: the 4MB default spilled ~10 GB
    of temporary files at 30,000 employees), parallel workers per query
    (ABSENSI_REFRESH_PARALLEL_WORKERS, default 2) and maintenance_work_mem for the index builds."""
    env = os.environ if environ is None else environ
    work_mem = (env.get(ENV_REFRESH_WORK_MEM) or DEFAULT_REFRESH_WORK_MEM).strip()
    if not _MEMORY.fullmatch(work_mem):
        raise UserError(f"{ENV_REFRESH_WORK_MEM}={work_mem!r} bukan ukuran memori (contoh 256MB, 1GB)")
    workers_text = (env.get(ENV_REFRESH_PARALLEL_WORKERS) or str(DEFAULT_REFRESH_PARALLEL_WORKERS)).strip()
    if not workers_text.isdigit() or int(workers_text) > 64:
        raise UserError(f"{ENV_REFRESH_PARALLEL_WORKERS}={workers_text!r} harus bilangan bulat 0-64")
    return (
        f"-c work_mem={work_mem} -c maintenance_work_mem={work_mem} "
        f"-c max_parallel_workers_per_gather={int(workers_text)}"
    )


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def refresh_by_month(
    url: str,
    settings: Settings,
    *,
    vars: Mapping[str, Any] | None = None,
    unit_tests: bool = True,
    on_month: Callable[[RefreshMonth, str], None] | None = None,
    on_node: Callable[[NodeResult], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RefreshResult:
    """Rebuild every incremental model from raw, one month of the attendance window per build,
    resuming an unfinished refresh of the same vars where it stopped (ops.transform_refresh).

    Holds the warehouse build lock for the whole refresh (an hourly build meanwhile is skipped with
    RefreshInProgress). `on_month(month, phase)` is called with phase 'start' and 'done' for each
    month ('skip' for months a resumed refresh had finished); `on_node`/`on_total` as in run_build,
    per month's build. Months before the last build the incremental models and their ancestors only
    (REFRESH_MONTH_SELECTORS; after a month this call built, REFRESH_LATER_MONTH_SELECTORS: seeds and
    staging views are left as they are), without data tests; the last month builds everything, with
    the data tests and (`unit_tests`) the unit tests."""
    vars = validate_vars(vars) or {}
    options = refresh_session_options()
    dbt_url = settings.dbt_database_url or url
    started = time.monotonic()
    pgoptions = " ".join(filter(None, [os.environ.get("PGOPTIONS", ""), options]))
    with (
        _warehouse_build_lock(url, settings.transform_wait, application=REFRESH_APPLICATION),
        _environment({"PGOPTIONS": pgoptions}),
    ):
        _ensure_punch_partitions(url)
        window_start, window_end = _refresh_window(url, settings, vars)
        months = _month_starts(window_start, window_end)
        refresh_id, done_through = _refresh_state(dbt_url, vars, window_start)
        plan = [
            RefreshMonth(
                index=i,
                total=len(months),
                month=month,
                # the last month runs with the caller's own end ('' = today), exactly as a one-shot
                window_end=str(vars.get("attendance_end") or "")
                if i == len(months)
                else _month_end(month).isoformat(),
            )
            for i, month in enumerate(months, start=1)
        ]
        resumed_from = 1
        builds: list[BuildResult] = []
        for step in plan:
            if done_through is not None and step.month <= done_through:
                resumed_from = step.index + 1
                if on_month is not None:
                    on_month(step, "skip")
                continue
            if on_month is not None:
                on_month(step, "start")
            first = not builds and resumed_from == 1
            last = step.index == step.total
            build = run_build(
                url,
                settings,
                # months before the last: the incremental models and what they read, no data tests
                select=None if last else REFRESH_LATER_MONTH_SELECTORS if builds else REFRESH_MONTH_SELECTORS,
                full_refresh=first,
                vars={**vars, "attendance_end": step.window_end},
                unit_tests=unit_tests and last,
                data_tests=last,
                on_node=on_node,
                on_total=on_total,
            )
            builds.append(build)
            # the month's partitions and the month before's (its last days may be recomputed); the
            # partitioned tables' own statistics once, at the end
            analyze_built_tables(dbt_url, (previous_month(step.month), step.month), parents=last)
            _record_month(dbt_url, refresh_id, step.month, finished=step.index == step.total)
            if on_month is not None:
                on_month(step, "done")
        if not builds:  # every month was done, only the end was never recorded
            _record_month(dbt_url, refresh_id, months[-1], finished=True)
    return RefreshResult(refresh_id, plan, resumed_from, time.monotonic() - started, builds)


ANALYZED_SCHEMAS = ("intermediate", "marts")
_RANGE_BOUND = re.compile(r"FOR VALUES FROM \('([0-9-]+)'\) TO \('([0-9-]+)'\)")


def analyze_built_tables(
    dbt_url: str, months: tuple[dt.date, dt.date] | None = None, *, parents: bool = True
) -> None:
    """Fresh planner statistics on the tables of the dbt schemas (issue 21). A refresh writes the
    facts from scratch; until autovacuum comes by they have none, and the next hourly builds would
    plan their merges on guesses (at 2,000 employees and one month: the hourly facts took 6.4 s
    instead of 1 s). ANALYZE samples a bounded number of rows per table: seconds after minutes.

    `months` (first, last month; one month of a refresh): of a partitioned table, only the
    partitions holding those months and the default one, since the older ones did not change
    (analyzing the whole table re-samples every partition: 5 s at 8,000 employees and 12 months,
    after each month of a refresh); with `parents`, its own statistics across the partitions too
    (ANALYZE ONLY on PostgreSQL 18, the whole table before). None: every table, whole."""
    with db.connect(dbt_url, autocommit=True) as conn:
        tables = conn.execute(
            """select format('%%I.%%I', n.nspname, c.relname), c.relkind = 'p'
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition
                order by 1""",
            (list(ANALYZED_SCHEMAS),),
        ).fetchall()
        only = conn.info.server_version >= 180000
        for table, partitioned in tables:
            if not partitioned or months is None:
                conn.execute(f"analyze {table}")
                continue
            for leaf in _partitions_holding(conn, table, months):
                conn.execute(f"analyze {leaf}")
            if parents:
                conn.execute(f"analyze {'only ' if only else ''}{table}")


def _partitions_holding(conn: Any, table: str, months: tuple[dt.date, dt.date]) -> list[str]:
    """The leaf partitions of `table` (ranges of dates) holding any day of `months` (first, last
    month), and its default partition."""
    first, last = months
    leaves = conn.execute(
        """select format('%%I.%%I', n.nspname, c.relname), pg_get_expr(c.relpartbound, c.oid)
             from pg_partition_tree(%s::regclass) t
             join pg_class c on c.oid = t.relid join pg_namespace n on n.oid = c.relnamespace
            where t.isleaf""",
        (table,),
    ).fetchall()
    chosen = []
    for name, bound in leaves:
        found = _RANGE_BOUND.fullmatch(bound or "")
        if bound == "DEFAULT" or (
            found
            and dt.date.fromisoformat(found[1]) <= _month_end(last)
            and dt.date.fromisoformat(found[2]) > first
        ):
            chosen.append(name)
    return chosen


def _ensure_punch_partitions(url: str) -> None:
    """This month's and the next 12 months' partitions of raw.device_punch (migration 0014)."""
    with db.connect(url, autocommit=True) as conn:
        if db.scalar(conn, "select to_regprocedure('raw.ensure_punch_partitions(integer)') is not null"):
            conn.execute("select raw.ensure_punch_partitions(12)")


def _refresh_window(url: str, settings: Settings, vars: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """The window the refresh covers, as int_attendance_window computes it for these vars (built
    here alone, so the rule has one home)."""
    run_build(url, settings, select="int_attendance_window", vars=dict(vars) or None, unit_tests=False)
    with db.connect(settings.dbt_database_url or url) as conn:
        row = conn.execute(
            "select window_start, window_end from intermediate.int_attendance_window"
        ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        raise UserError("jendela absensi kosong: tidak ada yang dihitung ulang")
    return row[0], row[1]


def _refresh_state(
    dbt_url: str, vars: Mapping[str, Any], window_start: dt.date
) -> tuple[int, dt.date | None]:
    """The unfinished refresh of the same vars and window start to continue (its id and the last
    month it finished), or a new one."""
    text = json.dumps(dict(vars), sort_keys=True)
    with db.connect(dbt_url, autocommit=True) as conn:
        row = conn.execute(
            """select refresh_id, done_through from ops.transform_refresh
                where finished_at is null and vars = %s::jsonb and window_start = %s
                order by refresh_id desc limit 1""",
            (text, window_start),
        ).fetchone()
        if row is not None:
            return int(row[0]), row[1]
        refresh_id = db.scalar(
            conn,
            "insert into ops.transform_refresh (vars, window_start) values (%s::jsonb, %s) returning refresh_id",
            (text, window_start),
        )
    return int(refresh_id), None


def _record_month(dbt_url: str, refresh_id: int, month: dt.date, *, finished: bool) -> None:
    with db.connect(dbt_url, autocommit=True) as conn:
        conn.execute(
            """update ops.transform_refresh
                  set done_through = %s, months_done = months_done + 1, updated_at = now(),
                      finished_at = case when %s then now() end
                where refresh_id = %s""",
            (month, finished, refresh_id),
        )


def _refuse_if_refreshing(url: str) -> None:
    """Raise RefreshInProgress when the build lock's holder is a month-by-month full refresh."""
    holder = _build_holder_row(url)
    if holder is None or holder[1] != REFRESH_APPLICATION:
        return
    pid, _, since = holder
    progress = ""
    with db.connect(url, autocommit=True) as conn:
        if db.relation_exists(conn, "ops.transform_refresh"):
            row = conn.execute(
                "select done_through from ops.transform_refresh where finished_at is null order by refresh_id desc limit 1"
            ).fetchone()
            if row is not None and row[0] is not None:
                progress = f", bulan {row[0]:%Y-%m} sudah selesai"
    raise RefreshInProgress(
        f"hitung ulang penuh (--full-refresh) sedang berjalan di database ini (pid {pid}, sejak "
        f"{since:%Y-%m-%d %H:%M:%S}{progress}); build ini dilewati, data baru dihitung pada run berikutnya"
    )
