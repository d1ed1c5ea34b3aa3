"""Validate the warehouse with the suites, build data docs, record the run in `quality.*`.

`run_checks` is what `absensi check` and the Airflow gate task call. Great Expectations is
imported here, inside the function, so the CLI and the DAG files stay fast to load.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from expectations.model import SUITES, AssetChecks, ExpectationOutcome, QualityRun, order_row
from expectations.params import (
    DEFAULT_MIN_PUNCH_DATE,
    SuiteParams,
    load_calendar,
    load_holidays,
    load_policy_limits,
)
from warehouse import db
from warehouse.errors import UserError
from warehouse.months import month_bounds
from warehouse.settings import DBT_PROJECT_DIR

DOCS_SITE = "absensi"
MAX_STORED_ROWS = 50  # failing-row sample kept per expectation (GX itself caps at 200)
ASSET_MISSING = "asset_exists"


def run_checks(
    url: str,
    month: date | None,
    *,
    timezone: str,
    marts_schema: str = "marts",
    raw_schema: str = "raw",
    docs_dir: Path | None = None,
    window: tuple[date, date] | None = None,
    suites: tuple[str, ...] | None = None,
    store: bool = True,
    closing: bool = False,
) -> QualityRun:
    """Run the raw, marts and operations suites against the warehouse at `url`, for the marts of
    one month (None: every month); returns and stores the run. Data docs are built into `docs_dir`
    when given. `timezone` is the regency's.

    `marts_schema` lets a test point the marts suite at a schema of hand-made tables; `window`
    (inclusive days) overrides the attendance window the daily mart must cover. `closing`: the
    close's gate, where days still MENUNGGU block (monthly_complete) instead of warning.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    _require_identifier(marts_schema, "skema mart")
    _require_identifier(raw_schema, "skema raw")
    unknown = sorted(set(suites or ()) - set(SUITES))
    if unknown:
        raise UserError(f"suite tidak dikenal: {', '.join(unknown)} (pilih dari {', '.join(SUITES)})")
    month_start, month_end = month_bounds(month) if month is not None else (None, None)
    with db.connect(url, autocommit=True) as conn:
        if store:  # fail before the slow part when the run could not be recorded anyway
            from expectations.store import require_schema

            require_schema(conn)
        params = _inspect(conn, raw_schema, marts_schema, month_start, month_end, window, timezone)
        if closing:
            params = replace(params, closing=True)
        quarantine_counts = _quarantine_counts(conn, params.quarantine_views)

    import_seconds = _import_gx()
    from expectations.suites import all_suites

    assets = all_suites(params, suites)
    outcomes, gx_version = _validate(url, assets, params, docs_dir)
    run = QualityRun(
        run_id=str(uuid.uuid4()),
        started_at=started,
        finished_at=datetime.now(UTC),
        month=month_start,
        marts_schema=marts_schema,
        outcomes=outcomes,
        docs_path=str(docs_dir / "index.html") if docs_dir is not None else None,
        gx_version=gx_version,
        seconds=time.perf_counter() - t0,
        import_seconds=import_seconds,
        quarantine_counts=quarantine_counts,
    )
    if store:
        from expectations.store import save_run

        with db.connect(url) as conn:
            save_run(conn, run)
    return run


def _require_identifier(name: str, what: str) -> None:
    # Schema names are spliced into the suites' SQL: only plain identifiers are accepted.
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise UserError(f"{what} {name!r} tidak sah: gunakan huruf kecil, angka dan garis bawah")


# --- what is in the warehouse -------------------------------------------------------------------


def _inspect(
    conn: psycopg.Connection,
    raw_schema: str,
    marts_schema: str,
    month_start: date | None,
    month_end: date | None,
    window: tuple[date, date] | None,
    timezone: str,
) -> SuiteParams:
    rows = conn.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_schema in (%s, %s, 'ops') order by table_schema, table_name, ordinal_position",
        (raw_schema, marts_schema),
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    quarantine = tuple(sorted(t for t in columns if t.startswith(f"{marts_schema}.q_")))
    daily = f"{marts_schema}.fct_attendance_daily"
    dbt_vars = _dbt_vars()
    if window is None:
        built = _built_window(conn) if marts_schema == "marts" else None  # dbt builds into `marts`
        window = built or (_data_window(conn, daily) if daily in columns else None)
    return SuiteParams(
        raw_schema=raw_schema,
        marts_schema=marts_schema,
        month_start=month_start,
        month_end=month_end,
        window=window,
        policies=load_policy_limits(),
        holidays=load_holidays(),
        **load_calendar(),
        timezone=timezone,
        min_punch_date=_var_date(dbt_vars, "min_plausible_punch") or DEFAULT_MIN_PUNCH_DATE,
        clock_quarantine_view=_clock_quarantine_view(quarantine, columns),
        quarantine_views=quarantine,
        previous_quarantine=_previous_quarantine(conn),
        existing_tables=frozenset(columns),
        table_columns={t: tuple(c) for t, c in columns.items()},
        closing=False,
    )


def _clock_quarantine_view(views: tuple[str, ...], columns: dict[str, list[str]]) -> str | None:
    """The quarantine view of punches whose device clock is out of range (it lists punch keys)."""
    keyed = [v for v in views if {"device_sn", "device_pin", "punch_local"} <= set(columns[v])]
    for hint in ("clock", "range", "time", "jam"):
        for view in keyed:
            if hint in view.rsplit(".", 1)[1]:
                return view
    return None


def _dbt_vars() -> dict[str, Any]:
    path = DBT_PROJECT_DIR / "dbt_project.yml"
    if not path.exists():
        return {}
    import yaml

    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}


def _var_date(variables: dict[str, Any], name: str) -> date | None:
    try:
        return date.fromisoformat(str(variables.get(name) or "")[:10])
    except ValueError:
        return None


def _built_window(conn: psycopg.Connection) -> tuple[date, date] | None:
    """The attendance window dbt built the marts for (its view carries the vars of the last build)."""
    if not db.relation_exists(conn, "intermediate.int_attendance_window"):
        return None
    row = conn.execute("select window_start, window_end from intermediate.int_attendance_window").fetchone()
    return (row[0], row[1]) if row and row[0] and row[1] else None


def _data_window(conn: psycopg.Connection, daily: str) -> tuple[date, date] | None:
    row = conn.execute(f"select min(work_date), max(work_date) from {daily}").fetchone()
    return (row[0], row[1]) if row and row[0] and row[1] else None


def _previous_quarantine(conn: psycopg.Connection) -> dict[str, int]:
    if not db.relation_exists(conn, "quality.quarantine_count"):
        return {}
    rows = conn.execute(
        "select q.view_name, q.row_count from quality.quarantine_count q where q.run_id = "
        "(select r.run_id from quality.run r where exists "
        "(select 1 from quality.quarantine_count c where c.run_id = r.run_id) "
        "order by r.started_at desc limit 1)"
    ).fetchall()
    return {view: int(count) for view, count in rows}


def _quarantine_counts(conn: psycopg.Connection, views: tuple[str, ...]) -> dict[str, int]:
    return {view: int(db.scalar(conn, f"select count(*) from {view}")) for view in views}


# --- Great Expectations ---------------------------------------------------------------------------


def _import_gx() -> float:
    """Import Great Expectations quietly; returns the seconds it took (scipy, pandas, altair: slow cold)."""
    _quiet_gx()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import great_expectations  # noqa: F401
    return time.perf_counter() - t0


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # a switch of GX itself, not a setting of ours
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def _validate(
    url: str, assets: list[AssetChecks], params: SuiteParams, docs_dir: Path | None
) -> tuple[list[ExpectationOutcome], str]:
    _quiet_gx()
    with warnings.catch_warnings():
        # GX suggests its PostgresDatasource, whose URL validation rejects unix-socket hosts.
        warnings.filterwarnings("ignore", message="You are using a generic SQLDatasource")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
        return _validate_quietly(url, assets, params, docs_dir)


def _validate_quietly(
    url: str, assets: list[AssetChecks], params: SuiteParams, docs_dir: Path | None
) -> tuple[list[ExpectationOutcome], str]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    # In-memory stores: the suites live in this code and the results in quality.*; the only
    # files GX writes are the data docs.
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_sql("warehouse", connection_string=db.sqlalchemy_url(url))
    outcomes: list[ExpectationOutcome] = []
    for position, asset_checks in enumerate(assets):
        missing = _missing_tables(asset_checks, params)
        if missing:
            outcomes.append(_missing_outcome(asset_checks, missing))
            continue
        asset = source.add_query_asset(f"{asset_checks.suite}:{asset_checks.table}", query=asset_checks.query)
        batch_definition = asset.add_batch_definition_whole_table("all")
        suite = context.suites.add(gx.ExpectationSuite(name=f"{asset_checks.suite}.{asset_checks.table}"))
        for check in asset_checks.checks:
            expectation = check.build()
            expectation.severity = check.severity
            expectation.description = check.description
            expectation.meta = {"check": check.name, "suite": asset_checks.suite}
            expectation.catch_exceptions = True
            suite.add_expectation(expectation)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"v{position}.{suite.name}", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"c{position}.{suite.name}",
                validation_definitions=[validation],
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": list(asset_checks.index_columns),
                    "partial_unexpected_count": 20,
                },
            )
        )
        result = checkpoint.run()
        by_name = {c.name: c for c in asset_checks.checks}
        for suite_result in result.run_results.values():
            for item in suite_result.results:
                expectation_config = item.expectation_config
                assert expectation_config is not None and expectation_config.meta is not None  # set above
                outcomes.append(_outcome(asset_checks, by_name[expectation_config.meta["check"]], item))
    if docs_dir is not None:
        context.build_data_docs(site_names=[DOCS_SITE])
    return outcomes, gx.__version__


def _missing_tables(asset_checks: AssetChecks, params: SuiteParams) -> list[str]:
    if asset_checks.table.endswith(".q_*"):
        return []
    return [] if asset_checks.table in params.existing_tables else [asset_checks.table]


def _missing_outcome(asset_checks: AssetChecks, missing: list[str]) -> ExpectationOutcome:
    return ExpectationOutcome(
        suite=asset_checks.suite,
        asset=asset_checks.table,
        expectation=ASSET_MISSING,
        expectation_type="table_exists",
        severity=asset_checks.severity,
        success=False,
        description=f"Tabel {', '.join(missing)} ada (sudah dibangun)",
        observed_value="tidak ada",
        error=f"tabel {', '.join(missing)} tidak ditemukan",
    )


def _outcome(asset_checks: AssetChecks, check: Any, item: Any) -> ExpectationOutcome:
    result = item.result or {}
    info = item.exception_info or {}
    error = None
    if info.get("raised_exception"):
        error = str(info.get("exception_message") or "error").strip().splitlines()[0][:500]
    else:  # GX keys exception info by configuration when several expectations share a run
        for value in info.values():
            if isinstance(value, dict) and value.get("raised_exception"):
                error = str(value.get("exception_message") or "error").strip().splitlines()[0][:500]
    rows: list[dict[str, Any]] = []
    if "details" in result and isinstance(result["details"], dict):
        rows = list(result["details"].get("unexpected_rows") or [])
    elif result.get("unexpected_index_list"):
        rows = list(result["unexpected_index_list"])
    elif result.get("partial_unexpected_list"):
        rows = [{"value": v} for v in result["partial_unexpected_list"]]
    count = result.get("unexpected_count")
    if count is None and isinstance(result.get("observed_value"), int) and "details" in result:
        count = result["observed_value"]
    observed = result.get("observed_value")
    if observed is None and count is not None:
        observed = count
    return ExpectationOutcome(
        suite=asset_checks.suite,
        asset=asset_checks.table,
        expectation=check.name,
        expectation_type=item.expectation_config.type,
        severity=check.severity,
        success=bool(item.success) and error is None,
        description=check.description,
        observed_value=_json_safe(observed),
        unexpected_count=int(count) if count is not None else None,
        failing_rows=[order_row(_json_safe(r)) for r in rows[:MAX_STORED_ROWS]],
        error=error,
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.loads(json.dumps(value, default=str))
