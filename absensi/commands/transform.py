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
    yang dihitung ulang, tanpa uji unit. --full-refresh, --select atau --everything: semua node yang
    dipilih, dengan uji unit."""
    from absensi.transform import run_build

    parsed = _parse_vars(vars)
    edge = resolve()
    db.connect(edge.url).close()  # an unreachable warehouse is one line, before any progress
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
    console.print(
        f"dbt build selesai dalam {result.seconds:.1f} dtk: {result.count('model')} model, "
        f"{result.count('seed')} seed, {result.count('test') + result.count('unit_test')} uji.",
        highlight=False,
    )
