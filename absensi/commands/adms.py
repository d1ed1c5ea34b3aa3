"""`absensi adms serve|command|status`: the receiver for devices that push (ADMS, /iclock)."""

from __future__ import annotations

import signal
from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from absensi.edge import resolve
from warehouse import db

console = Console()
app = typer.Typer(
    help="Penerima ADMS: mesin yang mengirim sendiri (push, /iclock) ke server.",
    no_args_is_help=True,
)


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Alamat dengar (bawaan ABSENSI_ADMS_HOST atau 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (bawaan ABSENSI_ADMS_PORT atau 8081)"),
    ] = None,
) -> None:
    """Terima kiriman mesin push sampai Ctrl-C: absensi disimpan ke raw lalu dijawab OK."""
    from ingest.adms.server import serve as serve_receiver

    edge = resolve()
    adms = edge.settings.adms
    adms = replace(adms, host=host or adms.host, port=adms.port if port is None else port)

    def ready(base: str) -> None:
        console.print(
            f"Penerima ADMS mendengar di {base}/iclock/ (kesehatan: {base}/healthz), gudang {db.redact(edge.url)}. "
            "Ctrl-C untuk berhenti.",
            highlight=False,
        )

    # uvicorn shuts down gracefully on SIGINT/SIGTERM (what is queued is committed and answered),
    # then re-raises the signal to the handler it found: a quiet one here, so the command ends
    # normally (exit 0, a last line) instead of dying by the signal.
    quiet = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        serve_receiver(edge.url, adms, edge.timezone, on_ready=ready)
    finally:
        for sig, handler in quiet.items():
            signal.signal(sig, handler)
    console.print("Penerima ADMS berhenti.")


@app.command("command")
def command(
    device: Annotated[str, typer.Argument(help="Nomor seri mesin push")],
    name: Annotated[str, typer.Argument(help="info | check | reboot | time (sinkron-jam)")],
    from_start: Annotated[
        bool,
        typer.Option(
            "--dari-awal",
            "--from-start",
            help="Dengan check: minta mesin mengunggah seluruh lognya lagi (yang sudah tersimpan tidak dobel)",
        ),
    ] = False,
) -> None:
    """Antrekan perintah untuk mesin push; dikirim saat mesin berikutnya menghubungi server."""
    from ingest.adms.commands import queue_command

    edge = resolve()
    with db.connect(edge.url) as conn:
        command_id = queue_command(conn, device, name, edge.timezone, from_start=from_start)
    console.print(
        f"Perintah #{command_id} ({name}) diantrekan untuk mesin {device}; dikirim pada detak berikutnya "
        f"(setiap {edge.settings.adms.delay} detik). Lihat hasilnya: absensi adms status --device {device}",
        highlight=False,
    )


@app.command("status")
def status(
    device: Annotated[str | None, typer.Option("--device", "-d", help="Hanya mesin ini")] = None,
) -> None:
    """Mesin push: kapan terakhir terdengar, kiriman terakhir, perintah dan hasilnya."""
    from ingest.adms.commands import push_status, recent_commands

    edge = resolve()
    with db.connect(edge.url, timezone=edge.timezone) as conn:
        rows = [r for r in push_status(conn, edge.timezone) if device is None or r.device_sn == device]
        commands = recent_commands(conn, device)
    table = Table(title="Mesin push (ADMS)")
    for column in (
        "mesin",
        "nama",
        "terakhir terdengar",
        "dari",
        "permintaan",
        "stamp",
        "absen hari ini",
        "kiriman terakhir",
        "antre",
    ):
        table.add_column(column)
    for r in rows:
        last = "-" if r.last_batch_status is None else r.last_batch_status
        if r.last_batch_status == "failed" and r.last_error:
            last = f"[red]gagal[/]: {r.last_error[:80]}"
        table.add_row(
            r.device_sn,
            r.name + ("" if r.active else " (nonaktif)"),
            "belum pernah" if r.last_seen_at is None else f"{r.last_seen_at:%Y-%m-%d %H:%M:%S}",
            r.last_seen_from or "",
            r.last_request or "",
            "" if r.attlog_stamp is None else str(r.attlog_stamp),
            str(r.punches_today),
            last,
            str(r.pending_commands),
        )
    console.print(table)
    if not rows:
        console.print("Belum ada mesin ber-protocol push di daftar mesin (devices.csv).")
    if commands:
        done = Table(title="Perintah terakhir")
        for column in ("#", "mesin", "perintah", "diantre", "dikirim", "hasil"):
            done.add_column(column)
        for command_id, sn, name, queued, sent, result_at, code, result in commands:
            if result_at is not None:
                outcome = "berhasil" if code == 0 else f"[red]gagal (Return={code})[/]"
            else:
                outcome = "menunggu jawaban" if sent else "menunggu mesin"
            done.add_row(
                str(command_id),
                sn,
                name,
                f"{queued:%Y-%m-%d %H:%M:%S}",
                "" if sent is None else f"{sent:%H:%M:%S}",
                outcome
                + (f" — {(result or '').splitlines()[1:2][0][:60]}" if result and "\n" in result else ""),
            )
        console.print(done)


def _detail(result: str | None) -> str:
    """The first line after `ID=…&Return=…&CMD=…` (INFO's first value), shortened."""
    lines = (result or "").splitlines()[1:]
    return f" — {lines[0][:60]}" if lines else ""
