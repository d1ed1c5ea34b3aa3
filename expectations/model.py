"""Plain data shared by the runner, the gate, the store and the CLI (no Great Expectations import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

CRITICAL = "critical"  # blocks publication
WARNING = "warning"  # shown, never blocks

SUITES = ("raw", "marts", "operations")


# Columns that identify a row, shown first when a failing row is named. PostgreSQL's jsonb does not
# keep key order, so a row read back from quality.result is put in this same order.
IDENTITY_COLUMNS = (
    "nip",
    "month",
    "work_date",
    "opd_code",
    "device_sn",
    "device_pin",
    "punch_local",
    "batch_id",
    "view_name",
)


def order_row(row: dict[str, Any]) -> dict[str, Any]:
    first = [k for k in IDENTITY_COLUMNS if k in row]
    return {k: row[k] for k in [*first, *sorted(k for k in row if k not in first)]}


@dataclass(frozen=True)
class Check:
    """One expectation of a suite, as code.

    `build` returns the GX expectation (imported lazily by the suite modules); `name` is the
    stable identifier stored in `quality.result`; `description` is what an operator reads.
    """

    name: str
    description: str
    build: Callable[[], Any]
    severity: str = CRITICAL


@dataclass(frozen=True)
class AssetChecks:
    """The checks of one suite on one table or view (a GX query asset)."""

    suite: str
    table: str  # schema-qualified, e.g. "marts.fct_attendance_daily"
    query: str  # the asset's rows (may filter to a month)
    index_columns: tuple[str, ...]  # columns that name a failing row
    checks: tuple[Check, ...]

    @property
    def severity(self) -> str:
        return CRITICAL if any(c.severity == CRITICAL for c in self.checks) else WARNING


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    asset: str
    expectation: str
    expectation_type: str
    severity: str
    success: bool
    description: str
    observed_value: Any = None
    unexpected_count: int | None = None
    failing_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def blocking_failure(self) -> bool:
        return not self.success and self.severity == CRITICAL


@dataclass
class QualityRun:
    run_id: str
    started_at: datetime
    finished_at: datetime
    month: date | None
    marts_schema: str
    outcomes: list[ExpectationOutcome]
    docs_path: str | None = None
    gx_version: str = ""
    seconds: float = 0.0  # the whole run, Great Expectations import included
    import_seconds: float = 0.0  # of which importing Great Expectations (0 when already imported)
    quarantine_counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed_blocking(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.blocking_failure]

    @property
    def failed_warning(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != CRITICAL]

    @property
    def publishable(self) -> bool:
        return not self.failed_blocking

    def outcome(self, suite: str, expectation: str) -> ExpectationOutcome:
        """The result of one named check (tests and callers look results up by name)."""
        found = [o for o in self.outcomes if o.suite == suite and o.expectation == expectation]
        if not found:
            raise KeyError(f"{suite}.{expectation} was not part of this run")
        if len(found) > 1:
            raise KeyError(f"{suite}.{expectation} is ambiguous: {[o.asset for o in found]}")
        return found[0]
