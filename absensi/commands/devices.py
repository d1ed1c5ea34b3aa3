"""`absensi import-usb FILE --device SN` (and, below, `pull` and `simulate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("import-usb")
    def import_usb(
        file: Annotated[Path, typer.Argument(help="Berkas *_attlog.dat dari flashdisk mesin")],
        device: Annotated[str, typer.Option("--device", "-d", help="Nomor seri mesin asal berkas")],
    ) -> None:
        """Impor berkas attlog USB sebagai satu batch (berkas rusak ditolak seluruhnya; aman diulang)."""
        from absensi import db
        from ingest.usb import import_attlog

        with db.connect() as conn:
            result = import_attlog(conn, file, device)
        console.print(
            f"{file}: {result.records_read} catatan dibaca, {result.records_new} baru "
            f"(mesin {result.device_sn}, batch {result.batch_id})",
            highlight=False,
        )
