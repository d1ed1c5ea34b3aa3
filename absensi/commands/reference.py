"""`absensi load opd|devices|employees|pins|leave|koreksi|kinerja|roster FILE.csv` and `absensi load-folder DIR`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from absensi.edge import resolve
from ingest.folder import load_generated_regency
from ingest.reference import load_reference_file
from warehouse import db

console = Console()


def load(
    kind: str = typer.Argument(
        ..., help="opd | devices | employees | pins | leave | koreksi | kinerja | roster"
    ),
    file: Path = typer.Argument(..., help="Berkas CSV (UTF-8, baris judul)"),
) -> None:
    """Muat berkas referensi ke raw sebagai batch baru (semua atau tidak sama sekali)."""
    with db.connect(resolve().url) as conn:
        result = load_reference_file(conn, kind, file)
    console.print(
        f"{file}: {result.rows} baris {kind} dimuat sebagai batch {result.batch_id}", soft_wrap=True
    )


def load_folder(
    folder: Path = typer.Argument(..., help="Folder seperti hasil `absensi generate`"),
    attlogs: bool = typer.Option(True, help="Muat juga attlog/<SN>_attlog.dat"),
) -> None:
    """Muat satu folder kabupaten: opd, devices, employees, pins, leave, koreksi, kinerja, roster, lalu semua attlog USB."""
    with db.connect(resolve().url) as conn:
        result = load_generated_regency(conn, folder, attlogs=attlogs)
    for ref in result.references:
        console.print(f"{ref.path.name}: {ref.rows} baris → batch {ref.batch_id}", soft_wrap=True)
    if attlogs:
        console.print(
            f"attlog: {result.attlog_batches} mesin, {result.punches_read} rekaman dibaca, "
            f"{result.punches_new} baru"
        )
