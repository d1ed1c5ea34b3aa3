"""The hourly job: pull every active device, build the marts incrementally, gate, publish.

Each function is one DAG task of `attendance_hourly` (and one step of `absensi demo`); it takes the
`Edge` (settings and warehouse URL) its caller resolved. Return values are small JSON-able dicts
because Airflow keeps them as XCom.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from absensi.edge import Edge
from warehouse import db
from warehouse.errors import UserError
from warehouse.months import local_today, month_start


class DevicePullFailed(UserError):
    """A device could not be read. Raised after its failed batch row is stored, so the task shows
    failed while the other devices' data goes on to the transform."""


class QualityGateFailed(UserError):
    """The quality gate said the marts are not publishable; nothing is published."""


def list_active_devices(edge: Edge) -> list[str]:
    """Serial numbers of the devices to pull this hour (the current registry, active only)."""
    from ingest.registry import active_devices

    with db.connect(edge.url) as conn:
        return [device.device_sn for device in active_devices(conn, edge.timezone)]


def batch_summary(result: Any) -> dict[str, Any]:
    """The parts of an ingest BatchResult worth keeping in XCom and printing."""
    return {
        "device_sn": result.device_sn,
        "batch_id": result.batch_id,
        "status": result.status,
        "records_read": result.records_read,
        "records_new": result.records_new,
        "clock_skew_seconds": result.clock_skew_seconds,
        "error": result.error,
    }


def pull_one(edge: Edge, device_sn: str) -> dict[str, Any]:
    """Pull one device into raw (own connection, own transaction); raises DevicePullFailed when the
    device failed, after `raw.ingest_batch` has recorded the failure."""
    from ingest.pull import pull_device

    result = pull_device(edge.url, device_sn, edge.settings)
    summary = batch_summary(result)
    if not result.ok:
        raise DevicePullFailed(f"mesin {device_sn} gagal ditarik (batch {result.batch_id}): {result.error}")
    return summary


def gate_month(edge: Edge, moment: datetime | None = None) -> date:
    """The month the hourly gate judges: the month of the latest workday up to `moment` (regency
    local). Early on the 1st, or over a long weekend, the new month has no workday yet; judging it
    would find no rows and block publishing, so the month before is judged until then."""
    today = local_today(edge.timezone, moment)
    with db.connect(edge.url) as conn:
        if not db.relation_exists(conn, "marts.fct_attendance_daily"):
            return month_start(today)
        latest = db.scalar(
            conn, "select max(work_date) from marts.fct_attendance_daily where work_date <= %s", (today,)
        )
    return month_start(latest or today)


def transform(
    edge: Edge,
    *,
    full_refresh: bool = False,
    dbt_vars: dict[str, Any] | None = None,
    unit_tests: bool = False,
    on_node: Callable[[Any], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """dbt build of every model (incremental marts take their own lookback window). The rule unit
    tests check SQL, not data: the hourly run skips them, the monthly close runs them. Views and
    seeds are rebuilt only when their definition changed since the warehouse's last complete build
    (issue 21; `absensi.transform.run_build(changed_only=True)`).

    `full_refresh`: month by month and resumable (absensi.transform.refresh_by_month), as the CLI.
    While such a refresh holds the build lock, an incremental build is skipped at once: the result
    says `skipped` and why (the DAG marks its task skipped), and the next hour catches up."""
    from absensi.transform import RefreshInProgress, refresh_by_month, run_build

    if full_refresh:
        refresh = refresh_by_month(
            edge.url,
            edge.settings,
            vars=dbt_vars or None,
            unit_tests=unit_tests,
            on_node=on_node,
            on_total=on_total,
        )
        return {
            "success": True,
            "seconds": round(refresh.seconds, 1),
            "months": len(refresh.months),
            "resumed_from": refresh.resumed_from,
            "models": refresh.count("model"),
            "tests": refresh.count("test"),
            "failures": [],
        }
    try:
        result = run_build(
            edge.url,
            edge.settings,
            full_refresh=full_refresh,
            vars=dbt_vars or None,
            unit_tests=unit_tests,
            changed_only=True,
            on_node=on_node,
            on_total=on_total,
        )
    except RefreshInProgress as exc:
        return {"success": True, "skipped": True, "reason": str(exc)}
    return {
        "success": result.success,
        "seconds": round(result.seconds, 1),
        "models": result.count("model"),
        "tests": result.count("test"),
        "failures": [n.unique_id for n in result.failures],
    }


def quality_gate(edge: Edge, month: date | None, *, closing: bool = False) -> dict[str, Any]:
    """Run the GX checks for `month` and decide; raises QualityGateFailed (with the reasons) when
    not publishable. `closing`: the close's gate, where MENUNGGU days block (monthly_complete); in
    the hourly gate they are expected and come back as warnings with their counts."""
    from expectations.gate import decide
    from expectations.runner import run_checks

    run = run_checks(
        edge.url, month, timezone=edge.timezone, docs_dir=edge.settings.quality_docs_dir, closing=closing
    )
    decision = decide(run)
    summary = {
        "publishable": bool(decision.publishable),
        "reasons": list(decision.reasons),
        "warnings": list(decision.warnings),
    }
    if not decision.publishable:
        reasons = "; ".join(decision.reasons) or "tanpa alasan tercatat"
        raise QualityGateFailed(f"gerbang mutu menolak publikasi: {reasons}")
    return summary


def publish(edge: Edge, out_dir: Path | None = None) -> dict[str, Any]:
    """Render the dashboards offline as HTML (Metabase reads the marts live; its specs are synced
    with `absensi dashboards push` on deploy)."""
    from dashboards.render import render_all

    target = out_dir or edge.settings.dashboards_dir
    index = render_all(target, edge.url, edge.timezone)
    return {"out_dir": str(target), "index": str(index)}


def as_plain(value: Any) -> Any:
    """A JSON-able copy of a result object (dataclasses, paths, dates) for XCom and printing."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [as_plain(v) for v in value]
    if isinstance(value, Path | date | datetime):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
