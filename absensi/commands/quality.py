"""`absensi check`: the quality gate (Great Expectations) over raw, marts and operations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from expectations.gate import GateDecision
    from expectations.model import QualityRun

from absensi.edge import resolve
from warehouse.months import parse_month

console = Console()

ROWS_SHOWN = 12  # failed expectations listed on screen; all of them are in quality.result


def check(
    month: str | None = typer.Option(None, "--month", help="Periksa mart untuk satu bulan (YYYY-MM)."),
    docs_dir: Path | None = typer.Option(
        None, "--docs-dir", help="Folder data docs GX (bawaan: .absensi/quality-docs)."
    ),
    marts_schema: str = typer.Option("marts", "--marts-schema", help="Skema mart yang diperiksa."),
    no_docs: bool = typer.Option(False, "--no-docs", help="Jangan bangun data docs (lebih cepat)."),
) -> None:
    """Validasi gudang data (raw, mart, operasional), simpan hasil di skema quality, bangun data docs.

    Keluar dengan kode 1 bila ada pemeriksaan yang memblokir publikasi gagal.
    """
    # Imported here: Great Expectations takes seconds to import and no other command needs it.
    from expectations.gate import decide
    from expectations.runner import run_checks

    edge = resolve()
    chosen = parse_month(month) if month else None
    docs = None if no_docs else (docs_dir or edge.settings.quality_docs_dir)
    with console.status("Memeriksa mutu data…"):
        run = run_checks(edge.url, chosen, timezone=edge.timezone, docs_dir=docs, marts_schema=marts_schema)
    decision = decide(run)
    print_summary(run, decision)
    if not decision.publishable:
        # SystemExit, not typer.Exit: cli.main runs click with standalone_mode=False, where an
        # Exit's code is returned and dropped instead of reaching the shell.
        raise SystemExit(1)


def print_summary(run: QualityRun, decision: GateDecision) -> None:
    from rich.markup import escape

    from expectations.gate import describe

    by_suite: dict[str, list] = {}
    for outcome in run.outcomes:
        by_suite.setdefault(outcome.suite, []).append(outcome)
    table = Table(
        title=f"Mutu data — run {run.run_id[:8]}" + (f", bulan {run.month:%Y-%m}" if run.month else "")
    )
    table.add_column("Suite")
    table.add_column("Pemeriksaan", justify="right")
    table.add_column("Lulus", justify="right")
    table.add_column("Gagal (blokir)", justify="right")
    table.add_column("Gagal (peringatan)", justify="right")
    for suite, outcomes in by_suite.items():
        blocking = sum(o.blocking_failure for o in outcomes)
        warning = sum((not o.success) and not o.blocking_failure for o in outcomes)
        table.add_row(
            suite,
            str(len(outcomes)),
            str(sum(o.success for o in outcomes)),
            f"[bold red]{blocking}[/]" if blocking else "0",
            f"[yellow]{warning}[/]" if warning else "0",
        )
    console.print(table)

    # One line per failed check, never wrapped: operators grep these and DAG logs keep them whole.
    failed = run.failed_blocking + run.failed_warning
    for outcome in failed[:ROWS_SHOWN]:
        level = "[bold red]BLOKIR[/]" if outcome.blocking_failure else "[yellow]peringatan[/]"
        console.print(f"{level} {escape(describe(outcome))}", soft_wrap=True, highlight=False)
    if len(failed) > ROWS_SHOWN:
        console.print(f"… dan {len(failed) - ROWS_SHOWN} lainnya (lihat quality.result, run {run.run_id}).")
    if run.docs_path:
        console.print(f"Data docs: {run.docs_path}")
    console.print(
        f"Waktu pemeriksaan: {run.seconds:.1f} detik (termasuk memuat Great Expectations {run.import_seconds:.1f} detik)"
    )
    if decision.publishable:
        console.print("[bold green]LULUS[/]: layak terbit, tidak ada pemeriksaan pemblokir yang gagal.")
    else:
        console.print(
            f"[bold red]BLOKIR[/]: tidak layak terbit, {len(decision.reasons)} pemeriksaan pemblokir gagal."
        )
