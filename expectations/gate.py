"""The publication gate: may this run's marts reach dashboards, reports and finance, and why not.

No Great Expectations import here: DAGs and the CLI decide from a `QualityRun` (or one read back
from `quality.*`) cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expectations.model import ExpectationOutcome, QualityRun

ROWS_NAMED = 3  # rows quoted per reason; the full sample is in quality.result and the data docs


@dataclass(frozen=True)
class GateDecision:
    publishable: bool
    reasons: list[str]  # one line per blocking failure (empty when publishable)
    warnings: list[str] = field(default_factory=list)  # non-blocking findings, for the operator


def decide(run: QualityRun) -> GateDecision:
    reasons = [describe(o) for o in run.failed_blocking]
    warnings = [describe(o) for o in run.failed_warning]
    return GateDecision(publishable=not reasons, reasons=reasons, warnings=warnings)


def describe(outcome: ExpectationOutcome) -> str:
    """'marts/daily_grain_unique (marts.fct_attendance_daily): <what> — 2 baris gagal: nip=…, work_date=…'."""
    head = f"{outcome.suite}/{outcome.expectation} ({outcome.asset}): {outcome.description}"
    if outcome.error:
        return f"{head} — galat: {outcome.error}"
    count = outcome.unexpected_count
    if count is None and outcome.failing_rows:
        count = len(outcome.failing_rows)
    detail = f"{count} baris gagal" if count is not None else f"teramati {outcome.observed_value}"
    if outcome.failing_rows:
        named = "; ".join(format_row(r) for r in outcome.failing_rows[:ROWS_NAMED])
        more = " …" if (count or 0) > ROWS_NAMED else ""
        detail += f": {named}{more}"
    return f"{head} — {detail}"


def format_row(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())
