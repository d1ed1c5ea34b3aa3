"""`absensi transform [--select ...] [--full-refresh] [--vars ...]` (the monthly close is
`absensi close-month`, which calls absensi.close.lock_month)."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from absensi.commands.progress import progress_bar
from absensi.edge import resolve
from warehouse import db
from warehouse.errors import UserError

console = Console()

_MARKS = {"success": "[green]ok[/]", "pass": "[green]lulus[/]", "warn": "[yellow]peringatan[/]"}


def _parse_vars(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"--vars bukan JSON/YAML yang sah: {text!r} ({exc.__class__.__name__})") from exc
    if not isinstance(value, dict):
        raise UserError(f"--vars harus berupa peta nama: nilai, bukan {text!r}")
    return value


def transform(
    select: list[str] = typer.Option(None, "--select", "-s", help="Pilihan node dbt (boleh berulang)"),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Hitung ulang seluruh riwayat"),
    vars: str = typer.Option(
        None, "--vars", help='Variabel dbt, mis. \'{"attendance_start": "2026-01-01"}\''
    ),
    everything: bool = typer.Option(
        False,
        "--everything",
        help="Bangun ulang semua view dan seed dan jalankan uji unit (seperti CI dan tutup bulan)",
    ),
) -> None:
    """Jalankan dbt build: staging → intermediate → marts beserta uji data.

    Tanpa opsi, sama dengan build per jam (DAG attendance_hourly): view dan seed dibangun ulang hanya
    bila definisinya berubah sejak build lengkap terakhir di database ini, uji data hanya untuk hari
    yang dihitung ulang, tanpa uji unit. --select atau --everything: semua node yang dipilih, dengan
    uji unit. --full-refresh tanpa --select menghitung ulang per bulan (bulan N/M) dan dapat
    dilanjutkan: bila terhenti, jalankan lagi perintah yang sama dan ia meneruskan dari bulan yang
    belum selesai."""
    from absensi.transform import RefreshInProgress, run_build

    parsed = _parse_vars(vars)
    edge = resolve()
    db.connect(edge.url).close()  # an unreachable warehouse is one line, before any progress
    if full_refresh and not select:
        _refresh_by_month(edge, parsed)
        return
    try:
        with progress_bar(console, "dbt build", transient=True) as bar:

            def on_node(node) -> None:
                name = node.unique_id.split(".", 2)[-1]
                bar.advance(name)
                if node.status not in _MARKS:
                    bar.note(f"[red]{node.status}[/] {name}: {node.message or ''}")

            result = run_build(
                edge.url,
                edge.settings,
                select=select or None,
                full_refresh=full_refresh,
                vars=parsed,
                unit_tests=everything or full_refresh or bool(select),
                changed_only=not everything,
                on_node=on_node,
                on_total=bar.set_total,
            )
    except RefreshInProgress as exc:
        # not a failure: the next run catches up (the hourly DAG marks its task skipped)
        console.print(f"[yellow]dilewati[/]: {exc}", highlight=False, soft_wrap=True)
        return
    console.print(
        f"dbt build selesai dalam {result.seconds:.1f} dtk: {result.count('model')} model, "
        f"{result.count('seed')} seed, {result.count('test') + result.count('unit_test')} uji.",
        highlight=False,
    )


def _refresh_by_month(edge, parsed: dict | None) -> None:
    """`--full-refresh`: absensi.transform.refresh_by_month, one line per month (bulan N/M)."""
    from absensi.transform import refresh_by_month

    with progress_bar(console, "dbt build", transient=True, announce=False) as bar:

        def on_month(step, phase: str) -> None:
            label = f"bulan {step.index}/{step.total} ({step.month:%Y-%m})"
            if phase == "skip":
                bar.note(f"{label}: sudah selesai pada hitung ulang sebelumnya, dilewati")
            elif phase == "start":
                bar.note(f"{label}: mulai")
                bar.step(label)
            else:
                bar.note(f"{label}: selesai")

        def on_node(node) -> None:
            name = node.unique_id.split(".", 2)[-1]
            bar.advance(name)
            if node.status not in _MARKS:
                bar.note(f"[red]{node.status}[/] {name}: {node.message or ''}")

        result = refresh_by_month(
            edge.url, edge.settings, vars=parsed, on_month=on_month, on_node=on_node, on_total=bar.set_total
        )
    total = len(result.months)
    resumed = f", dilanjutkan dari bulan {result.resumed_from}/{total}" if result.resumed_from > 1 else ""
    console.print(
        f"hitung ulang penuh selesai dalam {result.seconds:.1f} dtk: {total} bulan{resumed}; "
        f"{result.count('model')} model, {result.count('test') + result.count('unit_test')} uji.",
        highlight=False,
    )
