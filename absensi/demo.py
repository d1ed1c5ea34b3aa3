"""`absensi demo`: the product's main job on a fresh machine, end to end.

Embedded PostgreSQL → a generated OKU-like regency (the current month so far) → a few devices in
ADMS push mode send their logs to the push receiver, every other device is served by the ZK
simulator (one deliberately offline) → `attendance_hourly` through Airflow's `dag.test()` in a
throwaway AIRFLOW_HOME → a short summary, with the offline dashboards rendered by the DAG.

`simulated_regency()` is the same set-up the DAG tests use.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from absensi.edge import Edge
from absensi.edge import resolve as resolve_edge
from warehouse import db
from warehouse.errors import UserError
from warehouse.migrate import migrate
from warehouse.months import local_today
from warehouse.settings import ENV_DATABASE_URL, ENV_OUTPUT, ENV_REGENCY_NAME, ENV_RETRY_DELAY, Settings

DEMO_DATABASE = "absensi_demo"
DEMO_SEED = 20260101


def month_so_far(timezone: str, today: date | None = None) -> tuple[date, int]:
    """(first day, number of days) of the current regency-local month up to and including today."""
    today = today or local_today(timezone)
    first = today.replace(day=1)
    return first, (today - first).days + 1


@dataclass
class SimulatedRegency:
    """A generated regency loaded into the warehouse, its devices served on loopback."""

    folder: Path
    summary: dict
    simulation: Any  # ingest.simulator.Simulation
    offline: list[str]
    pushed: dict[str, tuple[int, int]] = field(default_factory=dict)  # push SN -> (records, acknowledged)

    @property
    def device_sns(self) -> list[str]:
        return sorted(self.simulation.devices)


@contextmanager
def simulated_regency(
    folder: Path,
    url: str,
    settings: Settings,
    *,
    employees: int,
    devices: int,
    start: date,
    days: int,
    seed: int = DEMO_SEED,
    offline: int = 1,
    regency: str = "oku",
    push: int = 0,
) -> Iterator[SimulatedRegency]:
    """Generate a regency into `folder`, register its devices with the reference files in the
    warehouse at `url`, let the first `push` devices push their logs through a push receiver
    (ADMS, until each is acknowledged) and serve the others for the pull (the last `offline`
    ones refuse connections)."""
    from ingest.generator import generate
    from ingest.reference import LOAD_ORDER, load_reference_file
    from ingest.simulator import serve_regency

    folder = Path(folder)
    summary = generate(
        folder,
        employees=employees,
        devices=devices,
        start=start,
        days=days,
        seed=seed,
        regency=regency,
        push_devices=push,
    )
    import csv

    with (folder / "devices.csv").open(newline="", encoding="utf-8") as fh:
        serials = [row["device_sn"] for row in csv.DictReader(fh) if row["protocol"] != "push"]
    down = serials[len(serials) - offline :] if offline else []
    # Free ports: tests and a second demo can run beside each other.
    with serve_regency(
        folder,
        faults={sn: "offline" for sn in down},
        free_ports=True,
        key_env=settings.comm_keys,
        timezone=settings.timezone,
    ) as simulation:
        served = folder / "served"
        served.mkdir(exist_ok=True)
        devices_csv = simulation.write_devices_csv(folder / "devices.csv", served / "devices.csv")
        with db.connect(url) as conn:
            for kind in LOAD_ORDER:
                path = devices_csv if kind == "devices" else folder / f"{kind}.csv"
                if path.is_file():  # optional files (koreksi.csv) only when generated
                    load_reference_file(conn, kind, path)
            conn.commit()
        pushed = push_logs(folder, url, settings) if push else {}
        yield SimulatedRegency(folder, summary, simulation, down, pushed)


def push_logs(
    folder: Path, url: str, settings: Settings, timeout: float = 300.0
) -> dict[str, tuple[int, int]]:
    """Run a push receiver on a free loopback port and let every push device of `folder` upload
    its log (handshake, chunks, OK after commit); returns SN -> (records, acknowledged)."""
    from dataclasses import replace

    from ingest.adms.server import running_receiver
    from ingest.simulator import push_regency

    receiver = replace(settings.adms, host="127.0.0.1", port=0)
    with (
        running_receiver(url, receiver, settings.timezone, log=lambda _message: None) as base,
        push_regency(folder, base, tokens=settings.adms.tokens, timezone=settings.timezone) as devices,
    ):
        deadline = time.monotonic() + timeout
        for device in devices.values():
            device.wait_uploaded(max(1.0, deadline - time.monotonic()))
        return {sn: (len(d.log), d.acknowledged) for sn, d in devices.items()}


def fresh_database(server_url: str, name: str = DEMO_DATABASE) -> str:
    """Drop and re-create `name` on the server (the demo starts clean every time); returns its URL."""
    # An unreachable server or a refused login: db.connect's one Indonesian line naming the fix.
    with db.connect(server_url, autocommit=True) as admin:
        try:
            admin.execute(f'drop database if exists "{name}" with (force)')
            admin.execute(f'create database "{name}"')
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            raise UserError(
                f"database demo {name!r} tidak dapat dibuat di {db.redact(server_url)}: {reason} "
                "(login di ABSENSI_DATABASE_URL perlu hak CREATEDB)"
            ) from exc
    url = db.with_dbname(server_url, name)
    with db.connect(url) as conn:
        migrate(conn)
    return url


@dataclass
class DemoSummary:
    seconds: float
    database_url: str
    folder: Path
    dag_state: str
    devices_ok: list[str] = field(default_factory=list)
    devices_failed: list[tuple[str, str]] = field(default_factory=list)
    punches_read: int = 0
    punches_new: int = 0
    pushed: dict[str, tuple[int, int]] = field(default_factory=dict)  # push SN -> (records, acknowledged)
    push_new: int = 0  # rows the push batches added to raw.device_punch
    gate_state: str = ""
    gate_reasons: list[str] = field(default_factory=list)
    most_disciplined: list[tuple] = field(default_factory=list)
    least_disciplined: list[tuple] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    daily_rows: int = 0
    # issue 13: employee-days not known yet — per device still unread (serial, OPD, employees,
    # employee-days) and those of days still in progress
    waiting_devices: list[tuple[str, str, int, int]] = field(default_factory=list)
    days_in_progress: int = 0


def pull_outcomes(
    conn: psycopg.Connection, after_batch: int
) -> tuple[list[str], list[tuple[str, str]], int, int]:
    rows = conn.execute(
        """select device_sn, status, records_read, records_new, coalesce(error, '')
           from raw.ingest_batch where kind = 'pull' and batch_id > %s order by device_sn""",
        (after_batch,),
    ).fetchall()
    ok = [r[0] for r in rows if r[1] == "ok"]
    failed = [(r[0], r[4].splitlines()[0] if r[4] else "") for r in rows if r[1] == "failed"]
    return ok, failed, sum(r[2] for r in rows), sum(r[3] for r in rows)


# Discipline of an OPD this month: share of scheduled person-days present and on time on both ends.
_OPD_DISCIPLINE = """
with days as (
    select opd_code,
           count(*) as person_days,
           count(*) filter (where status = 'HADIR' and tl_tier = 0 and psw_tier = 0) as on_time,
           count(*) filter (where status = 'TK') as tk_days
    from marts.fct_attendance_daily
    where work_date >= %(month)s and work_date < (%(month)s::date + interval '1 month')
      and status <> 'MENUNGGU'  -- final days only: a silent device never makes its OPD look undisciplined
    group by opd_code
)
select days.opd_code, coalesce(names.nama_opd, days.opd_code) as nama_opd,
       round(100.0 * on_time / nullif(person_days, 0), 1) as on_time_pct, tk_days, person_days
from days
left join (
    select distinct on (o.opd_code) o.opd_code, o.nama_opd
    from raw.opd o join raw.ingest_batch b on b.batch_id = o.batch_id and b.status = 'ok'
    order by o.opd_code, o.batch_id desc
) names on names.opd_code = days.opd_code
order by on_time_pct {direction}, tk_days {tk_direction}, days.opd_code
limit 5
"""


# MENUNGGU days waiting for a device, per device (pending_devices is comma-separated).
_WAITING_DEVICES = """
select pending.device_sn, coalesce(opds.nama_opd || ' (' || devices.opd_code || ')', devices.opd_code, '-'),
       count(distinct d.nip), count(*)
from marts.fct_attendance_daily as d
cross join lateral unnest(string_to_array(d.pending_devices, ',')) as pending (device_sn)
left join staging.stg_raw__devices as devices on devices.device_sn = pending.device_sn
left join staging.stg_raw__opds as opds on opds.opd_code = devices.opd_code
where d.status = 'MENUNGGU'
group by 1, 2
order by 1
"""


def waiting_for_data(conn: psycopg.Connection) -> tuple[list[tuple[str, str, int, int]], int]:
    """(per device still unread: serial, OPD, employees, employee-days; employee-days of days in progress)."""
    devices = [(r[0], r[1], int(r[2]), int(r[3])) for r in conn.execute(_WAITING_DEVICES).fetchall()]
    in_progress = db.scalar(
        conn,
        "select count(*) from marts.fct_attendance_daily where status = 'MENUNGGU' and pending_devices is null",
    )
    return devices, int(in_progress or 0)


def opd_discipline(conn: psycopg.Connection, month: date) -> tuple[list[tuple], list[tuple]]:
    best = conn.execute(
        _OPD_DISCIPLINE.format(direction="desc", tk_direction="asc"), {"month": month}
    ).fetchall()
    worst = conn.execute(
        _OPD_DISCIPLINE.format(direction="asc", tk_direction="desc"), {"month": month}
    ).fetchall()
    return best, worst


def run_demo(
    settings: Settings,
    *,
    employees: int = 3000,
    devices: int = 85,
    offline: int = 1,
    push: int = 3,
    seed: int = DEMO_SEED,
    today: date | None = None,
    database: str = DEMO_DATABASE,
    progress=print,
) -> DemoSummary:
    """The whole demo; returns what it printed as a summary. Airflow must not be imported yet.

    The DAG's tasks resolve their own settings from the environment, as in production: the demo
    points it at its database and output folder before the run."""
    from absensi.orchestration import airflow_local

    started = time.monotonic()
    start, days = month_so_far(settings.timezone, today)
    folder = settings.demo_dir / "regency"
    if folder.exists():
        shutil.rmtree(folder)
    os.environ.setdefault(ENV_OUTPUT, str(settings.demo_dir / "out"))
    from ingest.generator.catalog import REGENCIES

    os.environ.setdefault(ENV_REGENCY_NAME, REGENCIES["oku"].name)  # the demo's regency heads its reports

    progress("1/5 Menyalakan PostgreSQL tertanam dan menyiapkan database demo …")
    url = fresh_database(resolve_edge(settings).url, database)
    os.environ[ENV_DATABASE_URL] = url  # every DAG task of this process uses the demo database
    os.environ.setdefault(ENV_RETRY_DELAY, "5")
    edge: Edge = resolve_edge()  # what the DAG's tasks will resolve

    airflow_home = Path(tempfile.mkdtemp(prefix="absensi-demo-airflow-"))
    airflow_local.configure(airflow_home)
    try:
        progress(
            f"2/5 Membuat kabupaten sintetis OKU: {employees} pegawai, {devices} mesin, "
            f"{start:%d-%m-%Y} s.d. {start + timedelta(days=days - 1):%d-%m-%Y} …"
        )
        with simulated_regency(
            folder,
            url,
            edge.settings,
            employees=employees,
            devices=devices,
            start=start,
            days=days,
            seed=seed,
            offline=offline,
            push=push,
        ) as regency:
            pushed = regency.pushed
            progress(
                f"3/5 {len(pushed)} mesin push (ADMS) mengirim lognya ke penerima; simulator ZKTeco melayani "
                f"{len(regency.device_sns)} mesin di 127.0.0.1 (sengaja mati: {', '.join(regency.offline) or '-'}); "
                f"menyiapkan Airflow di {airflow_home} …"
            )
            with db.connect(url) as conn:
                before = db.scalar(conn, "select coalesce(max(batch_id), 0) from raw.ingest_batch")
            progress(
                "4/5 Menjalankan DAG attendance_hourly dengan dag.test() (tarik → dbt → gerbang mutu → publikasi) …"
            )
            airflow_log = settings.demo_dir / "airflow-dag-test.log"
            with _output_to(airflow_log):
                airflow_local.init_metadata_db()
                report = airflow_local.run_dag("attendance_hourly")
        progress("5/5 Menyusun ringkasan …")
        summary = DemoSummary(seconds=0.0, database_url=db.redact(url), folder=folder, dag_state=report.state)
        summary.gate_state = report.state_of("quality_gate")
        with db.connect(url) as conn:
            ok, failed, read, new = pull_outcomes(conn, before)
            summary.devices_ok, summary.devices_failed = ok, failed
            summary.punches_read, summary.punches_new = read, new
            summary.pushed = pushed
            summary.push_new = db.scalar(
                conn,
                "select coalesce(sum(records_new), 0) from raw.ingest_batch where kind = 'push' and status = 'ok'",
            )
            if summary.gate_state == "failed":
                summary.gate_reasons = _latest_gate_reasons(edge)
            if db.relation_exists(conn, "marts.fct_attendance_daily"):
                summary.daily_rows = db.scalar(conn, "select count(*) from marts.fct_attendance_daily")
                summary.most_disciplined, summary.least_disciplined = opd_discipline(conn, start)
                summary.waiting_devices, summary.days_in_progress = waiting_for_data(conn)
        published = report.state_of("publish") == "success"
        summary.outputs = {
            "dasbor offline": str(edge.settings.dashboards_dir / "index.html")
            if published
            else "(tidak dipublikasi)",
            "log Airflow (dag.test)": str(airflow_log),
            "data kabupaten sintetis": str(folder),
            "database demo": db.redact(url),
        }
    finally:
        shutil.rmtree(airflow_home, ignore_errors=True)
    summary.seconds = time.monotonic() - started
    return summary


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's task logs, tracebacks of the offline
    device's failed task) to `path`; the demo prints its own summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _latest_gate_reasons(edge: Edge) -> list[str]:
    """Why the gate refused, recomputed from the warehouse as it is now (the DAG's run stored it too)."""
    try:
        from expectations.gate import decide
        from expectations.runner import run_checks

        return decide(run_checks(edge.url, None, timezone=edge.timezone, store=False)).reasons
    except Exception as exc:  # noqa: BLE001 - the summary must still print
        return [f"(alasan tidak dapat dibaca: {exc})"]
