"""The monthly close: build the month, gate it, lock it, then the report and the finance export.

Each step is one task of the `monthly_close` DAG; `close_month()` runs them in order for
`absensi close-month`. Locking is idempotent and refused when the gate fails (the gate step raises
before the lock step runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from absensi.close import parse_month
from absensi.orchestration.hourly import as_plain, local_month, quality_gate, transform, warehouse_url


def previous_month(moment: datetime | date | None = None) -> date:
    """The month before the regency-local month of `moment` (the close runs on the 1st)."""
    first = local_month(moment)
    return date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)


def month_to_close(requested: str | None, logical_date: datetime | None) -> date:
    """The `month` param when given (manual trigger), otherwise the month before the run's date."""
    if requested:
        return parse_month(requested)
    return previous_month(logical_date)


def build_month(month: date, url: str | None = None) -> dict[str, Any]:
    """Full dbt build so every day of the month (late punches, leave entered late) is recomputed."""
    return {"month": month.isoformat(), "build": transform(full_refresh=True, unit_tests=True, url=url)}


def gate_month(month: date, url: str | None = None) -> dict[str, Any]:
    return quality_gate(month, url=url)


def lock(month: date, url: str | None = None) -> dict[str, Any]:
    """Freeze the month's deductions; idempotent (`locked_now` is False when it was locked before).
    The marts show `is_locked` at once; dbt reads the month from the frozen copies from then on."""
    from absensi.close import lock_month
    from absensi.db import connect

    with connect(warehouse_url(url)) as conn:
        locked_now = bool(lock_month(conn, month, note="monthly_close"))
        conn.commit()
    return {"month": month.isoformat(), "locked_now": locked_now}


def report_and_export(month: date, out_dir: Path | None = None, url: str | None = None) -> dict[str, Any]:
    """The leadership PDF and the finance export of a locked month, under `out/<YYYY-MM>/`."""
    from absensi.orchestration.outputs import month_dir
    from dashboards.export import export_deductions
    from dashboards.report import build_monthly_report

    target = Path(out_dir) if out_dir else month_dir(month.strftime("%Y-%m"))
    target.mkdir(parents=True, exist_ok=True)
    report = build_monthly_report(
        f"{month:%Y-%m}", target / f"laporan_disiplin_{month:%Y-%m}.pdf", url=warehouse_url(url)
    )
    # Both formats: people open the workbook; finance systems import the CSV (with its checksum).
    exports = [
        export_deductions(
            f"{month:%Y-%m}", fmt, target / f"potongan_tunjangan_{month:%Y-%m}.{fmt}", url=warehouse_url(url)
        )
        for fmt in ("xlsx", "csv")
    ]
    return {"out_dir": str(target), "report": str(report), "exports": as_plain(exports)}


@dataclass
class CloseSummary:
    month: date
    steps: dict[str, Any] = field(default_factory=dict)


def close_month(month: date, url: str | None = None, out_dir: Path | None = None) -> CloseSummary:
    """Every step of the close in order; stops (raises) at the first failure, so a failed gate
    never locks."""
    summary = CloseSummary(month)
    summary.steps["build"] = build_month(month, url=url)
    summary.steps["gate"] = gate_month(month, url=url)
    summary.steps["lock"] = lock(month, url=url)
    summary.steps["outputs"] = report_and_export(month, out_dir=out_dir, url=url)
    return summary
