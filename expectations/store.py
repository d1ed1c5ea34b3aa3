"""Record a quality run in `quality.run`, `quality.result` and `quality.quarantine_count`."""

from __future__ import annotations

import json
from datetime import date

import psycopg

from expectations.model import ExpectationOutcome, QualityRun, order_row
from warehouse.db import relation_exists
from warehouse.errors import UserError


def require_schema(conn: psycopg.Connection) -> None:
    if not relation_exists(conn, "quality.result"):
        raise UserError("skema quality belum ada di database ini; jalankan `absensi db migrate` dahulu")


def save_run(conn: psycopg.Connection, run: QualityRun) -> None:
    """One transaction: a run is stored whole or not at all."""
    require_schema(conn)
    with conn.transaction():
        conn.execute(
            """insert into quality.run (run_id, started_at, finished_at, month, marts_schema, publishable,
                   expectations, failed_blocking, failed_warning, docs_path, gx_version)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                run.run_id,
                run.started_at,
                run.finished_at,
                run.month,
                run.marts_schema,
                run.publishable,
                len(run.outcomes),
                len(run.failed_blocking),
                len(run.failed_warning),
                run.docs_path,
                run.gx_version,
            ),
        )
        with conn.cursor() as cur:
            cur.executemany(
                """insert into quality.result (run_id, suite, asset, expectation, expectation_type, severity,
                       success, observed_value, unexpected_count, failing_rows, description, error)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [
                    (
                        run.run_id,
                        o.suite,
                        o.asset,
                        o.expectation,
                        o.expectation_type,
                        o.severity,
                        o.success,
                        json.dumps(o.observed_value),
                        o.unexpected_count,
                        json.dumps(o.failing_rows) if o.failing_rows else None,
                        o.description,
                        o.error,
                    )
                    for o in run.outcomes
                ],
            )
            cur.executemany(
                "insert into quality.quarantine_count (run_id, view_name, row_count) values (%s, %s, %s)",
                [(run.run_id, view, count) for view, count in sorted(run.quarantine_counts.items())],
            )


def latest_run(conn: psycopg.Connection, month: date | None = None) -> QualityRun | None:
    """The newest stored run (for `month`, or of any scope when None), read back for `gate.decide`."""
    require_schema(conn)
    head = conn.execute(
        "select run_id::text, started_at, finished_at, month, marts_schema, docs_path, gx_version "
        "from quality.run where %s::date is null or month = %s::date order by started_at desc limit 1",
        (month, month),
    ).fetchone()
    if head is None:
        return None
    rows = conn.execute(
        "select suite, asset, expectation, expectation_type, severity, success, description, observed_value, "
        "unexpected_count, coalesce(failing_rows, '[]'::jsonb), error from quality.result where run_id = %s "
        "order by suite, asset, expectation",
        (head[0],),
    ).fetchall()
    outcomes = [
        ExpectationOutcome(
            suite=r[0],
            asset=r[1],
            expectation=r[2],
            expectation_type=r[3],
            severity=r[4],
            success=r[5],
            description=r[6],
            observed_value=r[7],
            unexpected_count=r[8],
            failing_rows=[order_row(x) for x in r[9]],
            error=r[10],
        )
        for r in rows
    ]
    counts: dict[str, int] = dict(
        conn.execute(
            "select view_name, row_count from quality.quarantine_count where run_id = %s", (head[0],)
        )
    )
    return QualityRun(
        run_id=head[0],
        started_at=head[1],
        finished_at=head[2],
        month=head[3],
        marts_schema=head[4],
        outcomes=outcomes,
        docs_path=head[5],
        gx_version=head[6],
        quarantine_counts=counts,
    )
