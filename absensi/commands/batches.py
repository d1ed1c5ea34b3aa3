"""`absensi batch list` and `absensi batch retract`: look at batches, take a wrong one back."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from absensi.edge import resolve
from warehouse import db

console = Console()
batch_app = typer.Typer(help="Batch impor/tarik: daftar dan penarikan (batch yang salah berhenti dihitung).")


@batch_app.command("list")
def list_cmd(
    device: Annotated[str | None, typer.Option("--device", "-d", help="Hanya batch mesin ini")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Jumlah batch terbaru")] = 20,
) -> None:
    """Batch terbaru: jenis, mesin, berkas, status, jumlah catatan, dan penarikannya bila ada."""
    from ingest.retraction import list_batches

    edge = resolve()
    with db.connect(edge.url, timezone=edge.settings.timezone) as conn:  # times in the regency's zone
        rows = list_batches(conn, device_sn=device, limit=limit)
    table = Table(title="Batch terbaru")
    for column in ("batch", "jenis", "mesin", "status", "dibaca", "baru", "berkas"):
        table.add_column(column, justify="right" if column in ("batch", "dibaca", "baru") else "left")
    notes = []
    for r in rows:
        status = "DITARIK" if r.retracted_at is not None else r.status
        table.add_row(
            str(r.batch_id), r.kind, r.device_sn or "", status, str(r.records_read), str(r.records_new),
            Path(r.source_file).name if r.source_file else "",
        )  # fmt: skip
        if r.retracted_at is not None:
            notes.append(
                f"batch {r.batch_id} DITARIK {r.retracted_at:%Y-%m-%d %H:%M} oleh {r.retracted_by}"
                f"{f' ({r.retraction_requested_by})' if r.retraction_requested_by else ''}: {r.retraction_reason}"
            )
        if r.forced_serial:
            notes.append(f"batch {r.batch_id}: --force-serial, nama berkas menyebut {r.forced_serial}")
        if r.error:
            notes.append(f"batch {r.batch_id} gagal: {r.error.splitlines()[-1][:200]}")
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True, markup=False)


@batch_app.command("retract")
def retract_cmd(
    batch_id: Annotated[int, typer.Argument(help="Nomor batch (lihat `absensi batch list`)")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Alasan penarikan (wajib, tercatat)")],
) -> None:
    """Tarik satu batch: isinya berhenti dihitung tanpa dihapus (tercatat siapa, kapan, mengapa)."""
    from ingest.retraction import retract_batch

    edge = resolve()
    with db.connect(edge.url, timezone=edge.settings.timezone) as conn:  # times in the regency's zone
        done = retract_batch(conn, batch_id, reason, requested_by=_login())
    what = f"{done.kind}" + (f", mesin {done.device_sn}" if done.device_sn else "")
    console.print(
        f"Batch {done.batch_id} ({what}, {done.records_new} catatan baru) ditarik oleh {done.retracted_by} "
        f"pada {done.retracted_at:%Y-%m-%d %H:%M}: {done.reason}",
        highlight=False,
    )
    if done.locked_months:
        months = ", ".join(f"{m:%Y-%m}" for m in done.locked_months)
        console.print(
            f"Bulan terkunci {months}: tidak diubah; selisihnya menjadi penyesuaian (fct_allowance_adjustment) "
            "pada transform berikutnya.",
            highlight=False,
        )
    console.print(
        "Jalankan `absensi transform` agar laporan menghitung ulang hari yang tersentuh.", highlight=False
    )


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
