"""The monthly close: build the month, gate it, lock it, then the report and the finance export.

Each step is one task of the `monthly_close` DAG; `close_month()` runs them in order for
`absensi close-month`. Locking is idempotent and refused when the gate fails (the gate step raises
before the lock step runs). A month that has not ended in the regency's timezone is refused before
anything runs, and again right before the lock; a month with MENUNGGU days is refused by the gate
step, with one line per device and day still missing (`absensi.close`). The clock (`now`) is
resolved by the caller, at the edge: the CLI command or the DAG task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from absensi.edge import Edge
from absensi.orchestration.hourly import as_plain, quality_gate, transform
from warehouse import db
from warehouse.errors import UserError
from warehouse.months import iso_month, local_month, parse_month, previous_month
from warehouse.outputs import check_output_dir, check_output_file


def month_to_close(requested: str | None, logical_date: datetime | None, timezone: str) -> date:
    """The `month` param when given (manual trigger), otherwise the month before the regency-local
    month of the run's date (the close runs on the 1st)."""
    if requested:
        return parse_month(requested)
    return previous_month(local_month(timezone, logical_date))


def build_month(
    edge: Edge,
    month: date,
    on_node: Callable[[Any], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Full dbt build so every day of the month (late punches, leave entered late) is recomputed;
    `on_node` is called as each dbt node finishes, `on_total` with their number (progress display)."""
    build = transform(edge, full_refresh=True, unit_tests=True, on_node=on_node, on_total=on_total)
    return {"month": month.isoformat(), "build": build}


def require_ended(edge: Edge, month: date, now: datetime) -> None:
    """Refuse (MonthNotClosable) a month that has not ended at `now` in the regency's timezone."""
    from absensi.close import require_month_ended

    require_month_ended(month, edge.timezone, now)


def gate_month(edge: Edge, month: date) -> dict[str, Any]:
    """The close's gate: every workday of the month final (else MonthNotClosable, one line per
    device/day missing and how to resolve it), then the quality checks."""
    from absensi.close import require_complete

    with db.connect(edge.url) as conn:
        require_complete(conn, month, edge.timezone)
    return quality_gate(edge, month, closing=True)


def output_paths(edge: Edge, month: date, out_dir: Path | None = None) -> tuple[Path, dict[str, Path]]:
    """The close's output folder (`out_dir`, else ABSENSI_OUTPUT/YYYY-MM) and the files it writes."""
    target = out_dir or edge.settings.month_dir(iso_month(month))
    text = iso_month(month)
    files = {
        "xlsx": target / f"potongan_tunjangan_{text}.xlsx",
        "csv": target / f"potongan_tunjangan_{text}.csv",
        "pdf": target / f"laporan_disiplin_{text}.pdf",
    }
    return target, files


def check_outputs(edge: Edge, month: date, out_dir: Path | None = None) -> Path:
    """Refuse (UserError, one line) outputs the close could not write — `--out` an existing file,
    a file under a file, a place this process cannot write, an output name taken by a folder —
    before anything is built or locked: a locked month without its export is what this prevents."""
    target, files = output_paths(edge, month, out_dir)
    check_output_dir(target, "--out")
    for path in files.values():
        check_output_file(path, "keluaran tutup bulan")
    return target


def lock(edge: Edge, month: date, now: datetime, out_dir: Path | None = None) -> dict[str, Any]:
    """Freeze the month's deductions; idempotent (`locked_now` is False when it was locked before).
    Refused for a month not ended at `now`, with MENUNGGU days, or whose outputs (under `out_dir`,
    else ABSENSI_OUTPUT/YYYY-MM) could not be written. The marts show `is_locked` at once; dbt reads
    the month from the frozen copies from then on."""
    from absensi.close import lock_month

    require_ended(edge, month, now)
    check_outputs(edge, month, out_dir)
    with db.connect(edge.url) as conn:
        locked_now = bool(lock_month(conn, month, note="monthly_close", timezone=edge.timezone))
        conn.commit()
    return {"month": month.isoformat(), "locked_now": locked_now}


def report_and_export(edge: Edge, month: date, out_dir: Path | None = None) -> dict[str, Any]:
    """The finance export and the leadership PDF of a locked month, under `out/<YYYY-MM>/`.

    The export comes first (finance pays from it) and a failure in one output never hides the other:
    both are attempted, then one UserError names what failed. Both overwrite their files, so running
    the close again retries them."""
    from dashboards.export import export_deductions
    from dashboards.report import build_monthly_report

    # No all-or-nothing pre-check here (close_month and lock did it before locking): each output
    # checks its own path, so one that cannot be written never stops the other.
    target, files = output_paths(edge, month, out_dir)
    check_output_dir(target, "--out")  # a folder both need
    target.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"out_dir": str(target)}
    failures: list[tuple[str, Exception]] = []
    try:
        # Both formats: people open the workbook; finance systems import the CSV (with its checksum).
        result["exports"] = as_plain(
            [
                export_deductions(month, fmt, files[fmt], edge.url, regency_name=edge.settings.regency_name)
                for fmt in ("xlsx", "csv")
            ]
        )
    except Exception as exc:  # reported below, after the report was attempted too
        failures.append(("ekspor keuangan", exc))
    try:
        result["report"] = str(
            build_monthly_report(
                month,
                files["pdf"],
                edge.url,
                edge.timezone,
                regency_name=edge.settings.regency_name,
            )
        )
    except Exception as exc:
        failures.append(("laporan PDF", exc))
    if failures:
        what = "; ".join(f"{name} gagal: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
                         for name, exc in failures)  # fmt: skip
        raise UserError(
            f"bulan {iso_month(month)} sudah dikunci, tetapi {what}. Perbaiki penyebabnya lalu jalankan ulang "
            "`absensi close-month` (penguncian tidak diulang, keluaran ditulis ulang)"
        ) from failures[0][1]
    return result


@dataclass
class CloseSummary:
    month: date
    steps: dict[str, Any] = field(default_factory=dict)


CLOSE_STEPS = {
    "build": "build penuh (dbt)",
    "gate": "gerbang mutu",
    "lock": "kunci bulan",
    "outputs": "laporan dan ekspor",
}


def close_month(
    edge: Edge,
    month: date,
    out_dir: Path | None = None,
    *,
    now: datetime,
    on_step: Callable[[str], None] | None = None,
    on_node: Callable[[Any], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> CloseSummary:
    """Every step of the close in order; stops (raises) at the first failure, so a failed gate
    never locks. A month not ended at `now` (an aware instant) is refused before the first step.
    `on_step(key)` is called as each step of CLOSE_STEPS starts and `on_node` as each dbt node of
    the build finishes, `on_total` with the number of those nodes (progress display)."""
    require_ended(edge, month, now)
    check_outputs(edge, month, out_dir)  # before the build and the lock, not after them
    summary = CloseSummary(month)
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "build": lambda: build_month(edge, month, on_node=on_node, on_total=on_total),
        "gate": lambda: gate_month(edge, month),
        "lock": lambda: lock(edge, month, now, out_dir=out_dir),
        "outputs": lambda: report_and_export(edge, month, out_dir=out_dir),
    }
    for key, run in steps.items():
        if on_step is not None:
            on_step(key)
        summary.steps[key] = run()
    return summary
