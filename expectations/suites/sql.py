"""SQL fragments shared by the suites: the current reference rows (DESIGN §5: newest ok batch wins)."""

from __future__ import annotations

from datetime import date


def current_reference(raw_schema: str, table: str, key: str) -> str:
    """Rows of raw.<table> from the newest counted batch (ok, not retracted) carrying each key."""
    return (
        f"(select distinct on ({key}) t.* from {raw_schema}.{table} t "
        f"join {raw_schema}.ingest_batch b on b.batch_id = t.batch_id and b.status = 'ok' "
        f"where {not_retracted(raw_schema, 't')} "
        f"order by {key}, t.batch_id desc, t.row_no desc)"
    )


def not_retracted(raw_schema: str, alias: str) -> str:
    """`alias`'s batch was not retracted (`absensi batch retract`, raw.batch_retraction)."""
    return f"not exists (select 1 from {raw_schema}.batch_retraction r where r.batch_id = {alias}.batch_id)"


RETRACT_HINT = 'absensi batch retract BATCH_ID --reason "…"'


def date_values(days: tuple[date, ...], alias: str = "h", column: str = "d") -> str:
    """An inline table of dates (holidays), empty-safe."""
    if not days:
        return f"(select null::date as {column} where false) {alias}"
    rows = ", ".join(f"(date '{d.isoformat()}')" for d in days)
    return f"(values {rows}) {alias} ({column})"


def batch_rows(body: str) -> str:
    """An unexpected-rows query over the validated batch, named `b` in `body`.

    GX substitutes `{batch}` with an aliased subquery, except when the query has a JOIN, where it
    leaves the aliasing to us; binding the batch in a CTE hides that difference from the suites.
    """
    from great_expectations.expectations.metrics.query_metric_provider import _query_has_join_clause

    alias = " as batch_rows" if _query_has_join_clause(body) else ""
    return f"with b as (select * from {{batch}}{alias}) {body}"
