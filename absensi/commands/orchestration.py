"""`absensi inbox` and `absensi close-month`: the reference_daily and monthly_close DAGs' work,
by hand (same functions)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from absensi.commands.progress import progress_bar
from absensi.edge import resolve
from absensi.orchestration.inbox import process_inbox, raise_for_rejections
from absensi.orchestration.monthly import CLOSE_STEPS, close_month
from warehouse import db
from warehouse.months import parse_month

console = Console()


def inbox(
    folder: Path = typer.Option(None, "--dir", help="Folder kotak masuk (bawaan: ABSENSI_INBOX)"),
) -> None:
    """Muat berkas referensi di kotak masuk (sekali per isi berkas); pindahkan ke processed/ atau rejected/."""
    edge = resolve()
    target = folder or edge.settings.inbox
    outcomes = process_inbox(edge.url, target)
    if not outcomes:
        console.print(f"Kotak masuk {target} kosong.", highlight=False)
        return
    for o in outcomes:
        detail = {
            "loaded": f"dimuat: {o.rows} baris {o.kind}, batch {o.batch_id}",
            "duplicate": f"sudah pernah dimuat (batch {o.batch_id}); dilewati",
            "rejected": f"DITOLAK: {o.error}; laporan: {o.moved_to}.error.txt",
        }[o.status]
        console.print(f"{o.file}: {detail}", highlight=False, soft_wrap=True)
    raise_for_rejections([o.as_dict() for o in outcomes])


def close_month_cmd(
    month: str = typer.Argument(..., help="Bulan yang ditutup, YYYY-MM"),
    out: Path = typer.Option(
        None, "--out", help="Folder laporan dan ekspor (bawaan: ABSENSI_OUTPUT/YYYY-MM)"
    ),
) -> None:
    """Tutup bulan: build penuh → gerbang mutu → kunci potongan → laporan bulanan dan ekspor keuangan.

    Ditolak (tidak ada yang dikunci) bila bulannya belum berakhir atau masih ada hari MENUNGGU data mesin."""
    first = parse_month(month)
    now = datetime.now(UTC)  # the clock, read once at the edge
    edge = resolve()
    db.connect(edge.url).close()  # an unreachable warehouse is one line, before any progress
    with progress_bar(console, "tutup bulan", transient=True, announce=False) as bar:
        numbers = {key: i for i, key in enumerate(CLOSE_STEPS, 1)}

        def on_step(key: str) -> None:
            bar.step(f"{numbers[key]}/{len(CLOSE_STEPS)} {CLOSE_STEPS[key]}")

        summary = close_month(
            edge,
            first,
            out_dir=out,
            now=now,
            on_step=on_step,
            on_node=lambda node: bar.advance(node.unique_id.split(".", 2)[-1]),
            on_total=bar.set_total,
        )
    lock = summary.steps["lock"]
    state = "dikunci sekarang" if lock["locked_now"] else "sudah terkunci sebelumnya; tidak ada yang berubah"
    console.print(
        f"Bulan {summary.month:%Y-%m}: gerbang mutu lolos, {state}.", highlight=False, soft_wrap=True
    )
    outputs = summary.steps["outputs"]
    console.print(f"Laporan dan ekspor: {outputs['out_dir']}", highlight=False)
