"""Record a quality run in `quality.run`, `quality.result` and `quality.quarantine_count`."""

from __future__ import annotations

import json

import psycopg

from expectations.model import QualityRun


def save_run(conn: psycopg.Connection, run: QualityRun) -> None:
    """One transaction: a run is stored whole or not at all."""
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
