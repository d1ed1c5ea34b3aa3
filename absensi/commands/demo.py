"""`absensi demo`: generate, serve, run the hourly DAG through Airflow, and summarise."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def demo(
    employees: int = typer.Option(3000, "--employees", help="Jumlah pegawai sintetis"),
    devices: int = typer.Option(85, "--devices", help="Jumlah mesin sidik jari (OKU: 85)"),
    offline: int = typer.Option(1, "--offline", help="Berapa mesin yang sengaja dimatikan"),
    push: int = typer.Option(3, "--push", help="Berapa mesin mengirim sendiri lewat ADMS (push)"),
    seed: int = typer.Option(20260101, "--seed", help="Benih acak kabupaten sintetis"),
    database: str = typer.Option(
        "absensi_demo", "--database", help="Nama database demo (dihapus dan dibuat ulang setiap demo)"
    ),
) -> None:
    """Demo lengkap: PostgreSQL tertanam, kabupaten sintetis, simulator mesin, DAG per jam lewat Airflow."""
    from absensi.demo import run_demo
    from warehouse import settings

    summary = run_demo(
        settings.load(),
        employees=employees,
        devices=devices,
        offline=offline,
        push=push,
        seed=seed,
        database=database,
        progress=lambda line: console.print(f"[cyan]{line}[/]", highlight=False),
    )
    print_summary(summary)
    print_next_commands(summary.database_url, settings.load().timezone)
    if summary.dag_state != "success":
        raise typer.Exit(1)


def print_summary(summary) -> None:
    console.rule("Ringkasan demo")
    total = len(summary.devices_ok) + len(summary.devices_failed)
    console.print(f"DAG attendance_hourly: [bold]{summary.dag_state}[/]", highlight=False)
    console.print(
        f"Mesin ditarik: {len(summary.devices_ok)} berhasil, {len(summary.devices_failed)} gagal (dari {total})",
        highlight=False,
    )
    for serial, error in summary.devices_failed:
        console.print(f"  gagal: {serial} — {error} (dicoba lagi jam berikutnya)", highlight=False)
    if summary.pushed:
        sent = sum(acknowledged for _records, acknowledged in summary.pushed.values())
        complete = sum(records == acknowledged for records, acknowledged in summary.pushed.values())
        console.print(
            f"Mesin push (ADMS): {complete} dari {len(summary.pushed)} terkirim lengkap, "
            f"{sent:,} catatan dijawab OK setelah tersimpan",
            highlight=False,
        )
    console.print(
        f"Rekaman absen: {summary.punches_read:,} dibaca dari mesin yang ditarik, "
        f"{summary.punches_new + summary.push_new:,} baru di raw.device_punch; "
        f"{summary.daily_rows:,} baris marts.fct_attendance_daily",
        highlight=False,
    )
    for serial, opd, employees, days in summary.waiting_devices:
        console.print(
            f"MENUNGGU data mesin {serial} ({opd}): {days:,} hari kerja dari {employees:,} pegawai belum "
            "dinilai — bukan TK, tanpa potongan; setelah mesin terbaca (tarik lagi, atau "
            f'`absensi import-usb --device {serial} BERKAS --exported-at "YYYY-MM-DD HH:MM"`) statusnya dihitung',
            highlight=False,
        )
    if summary.days_in_progress:
        console.print(
            f"MENUNGGU hari belum selesai: {summary.days_in_progress:,} hari kerja pegawai hari ini dinilai "
            "setelah jam pulang (yang sudah absen masuk tetap terlihat di Kehadiran Harian)",
            highlight=False,
        )
    gate = {"success": "LULUS", "failed": "GAGAL (tidak ada yang dipublikasi)"}.get(
        summary.gate_state, summary.gate_state
    )
    console.print(f"Gerbang mutu: [bold]{gate}[/]", highlight=False)
    for reason in summary.gate_reasons[:10]:
        console.print(f"  - {reason}", highlight=False)
    for title, rows in (
        ("5 OPD paling disiplin bulan ini", summary.most_disciplined),
        ("5 OPD paling kurang disiplin bulan ini", summary.least_disciplined),
    ):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for column in ("OPD", "Nama", "Tepat waktu %", "Hari TK", "Hari kerja-orang"):
            table.add_column(column)
        for code, name, pct, tk, person_days in rows:
            table.add_row(code, name, f"{pct}", str(tk), str(person_days))
        console.print(table)
    console.print("Keluaran:", highlight=False)
    for label, where in summary.outputs.items():
        console.print(f"  {label}: {where}", highlight=False)
    console.print(f"Selesai dalam {summary.seconds:.0f} detik.", highlight=False)


def command_name() -> str:
    """How the user runs `absensi` from here: the bare name when it is on PATH, else its path
    (`.venv/bin/absensi` after `make demo`)."""
    argv0 = Path(sys.argv[0])
    on_path = shutil.which("absensi")
    if on_path and (argv0.name != "absensi" or Path(on_path).resolve() == argv0.resolve()):
        return "absensi"
    if argv0.name == "absensi" and argv0.exists():
        relative = os.path.relpath(argv0.resolve(), Path.cwd())
        return relative if not relative.startswith("..") else str(argv0.resolve())
    return "absensi"


def print_next_commands(database_url: str, timezone: str) -> None:
    """The commands to go on with the demo's data: every command reads ABSENSI_DATABASE_URL, and
    without it they use the embedded server's default database, where the demo did not write."""
    from warehouse.months import iso_month, local_month

    exe = command_name()
    month = iso_month(local_month(timezone))
    console.print("Lanjutkan dengan data demo (salin ke terminal):", highlight=False)
    lines = [f"export ABSENSI_DATABASE_URL={shlex.quote(database_url)}"]
    if "***" in database_url:
        lines[0] += "   # ganti *** dengan kata sandinya"
    lines += [
        f"{exe} check --month {month}",
        f"{exe} dashboards render --out out/dasbor --month {month}",
        f"{exe} report monthly --month {month} --out out/laporan_{month}.pdf",
        f"{exe} export deductions --month {month} --draft --allow-incomplete --out out/potongan_{month}.xlsx",
    ]
    for line in lines:
        print(f"  {line}")
    if exe != "absensi":
        venv = Path(exe).parent / "activate"
        console.print(f"(atau aktifkan venv dulu: source {venv}, lalu cukup `absensi …`)", highlight=False)
