"""`absensi dashboards push|render`, `absensi report monthly`, `absensi export deductions|verify|ekinerja`.

matplotlib and reportlab load inside the commands that draw (they take a second to import)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from absensi.edge import resolve
from dashboards.dbt_docs import load_manifest
from dashboards.export import INDONESIAN_CSV, PLAIN_CSV, export_deductions, export_ekinerja, verify_file
from dashboards.metabase import MetabaseClient
from dashboards.sync import WarehouseConnection, push
from warehouse import settings
from warehouse.errors import UserError
from warehouse.months import parse_month
from warehouse.settings import DBT_PROJECT_DIR

console = Console()

dashboards_app = typer.Typer(
    help="Dasbor Metabase sebagai kode dan tampilan luring (HTML).", no_args_is_help=True
)
report_app = typer.Typer(help="Laporan disiplin bulanan (PDF) untuk Bupati dan Sekda.", no_args_is_help=True)
export_app = typer.Typer(help="Berkas untuk BPKAD (potongan tunjangan) dan e-kinerja.", no_args_is_help=True)


@dashboards_app.command("push")
def push_cmd(
    metabase_url: str = typer.Option("", "--metabase-url", envvar="METABASE_URL", help="URL Metabase"),
    api_key: str = typer.Option(
        "", "--api-key", envvar="METABASE_API_KEY", help="API key Metabase (grup Administrators)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Tampilkan rencana saja, tanpa mengubah Metabase"),
    manifest: Path = typer.Option(
        DBT_PROJECT_DIR / "target" / "manifest.json",
        "--manifest",
        help="Manifest dbt berisi deskripsi tabel/kolom (ditulis oleh `absensi transform`)",
    ),
    skip_docs: bool = typer.Option(
        False, "--skip-docs", help="Jangan kirim deskripsi dan tipe kolom dari dbt"
    ),
) -> None:
    """Buat/perbarui koneksi gudang, koleksi, kartu, dasbor, dan dokumentasi dbt di Metabase (aman diulang)."""
    connection = WarehouseConnection.from_settings(settings.load().metabase, require_password=not dry_run)
    docs = None if skip_docs else load_manifest(manifest)
    with MetabaseClient(metabase_url, api_key) as client:
        plan = push(client, connection, dry_run=dry_run, docs=docs)
    for action in plan.actions:
        if action.op != "unchanged":  # the summary counts what stays as it is
            print(action.describe())
    prefix = "Rencana (--dry-run, tidak ada yang diubah)" if dry_run else "Selesai"
    console.print(f"{prefix}: {plan.summary()}", highlight=False, soft_wrap=True)
    if plan.missing:
        console.print(
            "Tabel/kolom yang belum tersinkron di Metabase mendapat dokumentasinya pada push berikutnya "
            "(Metabase menyinkron gudang di latar belakang; `absensi transform` membangun tabel yang belum ada).",
            highlight=False,
            soft_wrap=True,
        )


@dashboards_app.command("render")
def render_cmd(
    out: Path = typer.Option(..., "--out", help="Folder keluaran HTML + PNG"),
    month: str = typer.Option("", "--month", help="Filter Bulan, YYYY-MM (kosong: bulan terakhir)"),
    day: str = typer.Option("", "--date", help="Filter Tanggal, YYYY-MM-DD (kosong: hari kerja terakhir)"),
    opd: str = typer.Option("", "--opd", help="Filter OPD: kode atau nama persis (kosong: semua OPD)"),
) -> None:
    """Tampilkan semua dasbor sebagai HTML statis dengan grafik PNG (tanpa jaringan)."""
    from dashboards.render import filter_values, render_all

    edge = resolve()
    index = render_all(out, edge.url, edge.timezone, values=filter_values(month=month, day=day, opd=opd))
    console.print(f"Dasbor luring ditulis ke {index}")


@report_app.command("monthly")
def monthly_cmd(
    month: str = typer.Option(..., "--month", help="Bulan, YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="Berkas PDF keluaran"),
) -> None:
    """Laporan disiplin bulanan (PDF, Bahasa Indonesia)."""
    from dashboards.report import build_monthly_report

    first = parse_month(month)
    edge = resolve()
    path = build_monthly_report(first, out, edge.url, edge.timezone, regency_name=edge.settings.regency_name)
    console.print(f"Laporan bulanan ditulis ke {path}")


@export_app.command("deductions")
def deductions_cmd(
    month: str = typer.Option(..., "--month", help="Bulan, YYYY-MM"),
    fmt: str = typer.Option("", "--format", help="csv atau xlsx (kosong: dari akhiran --out)"),
    out: Path = typer.Option(..., "--out", help="Berkas keluaran (.xlsx atau .csv)"),
    draft: bool = typer.Option(False, "--draft", help="Izinkan bulan yang belum dikunci (ditandai DRAF)"),
    plain_csv: bool = typer.Option(
        False,
        "--plain-csv",
        help="CSV biasa untuk sistem lain: pemisah koma, titik desimal, tanpa BOM "
        "(bawaan: titik koma, koma desimal, UTF-8 dengan BOM untuk Excel berbahasa Indonesia)",
    ),
    allow_incomplete: bool = typer.Option(
        False,
        "--allow-incomplete",
        help="Izinkan bulan yang masih punya hari MENUNGGU (data mesin belum lengkap); setiap baris "
        "yang terdampak ditandai BELUM LENGKAP. Bersama --draft; jangan dibayarkan",
    ),
) -> None:
    """Potongan tunjangan per pegawai untuk BPKAD, dengan total per OPD dan checksum."""
    first = parse_month(month)
    edge = resolve()
    result = export_deductions(
        first,
        fmt,
        out,
        edge.url,
        draft=draft,
        regency_name=edge.settings.regency_name,
        dialect=PLAIN_CSV if plain_csv else INDONESIAN_CSV,
        allow_incomplete=allow_incomplete,
    )
    total = f"{result.total_deduction:,}".replace(",", ".")
    marker = " (DRAF: bulan belum dikunci)" if result.draft else ""
    console.print(f"{result.rows} pegawai, total potongan Rp {total}{marker} → {result.path}")
    if result.adjustments:
        adjustment = f"{result.total_adjustment:,}".replace(",", ".")
        console.print(f"{result.adjustments} penyesuaian bulan terkunci sebelumnya: Rp {adjustment}")
    print(f"Total dibayar: Rp {result.total_to_pay:,}".replace(",", "."))
    print(f"SHA-256 baris DATA: {result.checksum}")


@export_app.command("verify")
def verify_cmd(file: Path = typer.Argument(..., help="Berkas potongan CSV atau XLSX")) -> None:
    """Periksa checksum SHA-256 berkas potongan (baris DATA tidak berubah sejak diekspor)."""
    ok, expected, actual = verify_file(file)
    if not ok:
        raise UserError(
            f"{file}: checksum TIDAK cocok (tertulis {expected}, dihitung {actual}): berkas berubah"
        )
    print(f"{file}: checksum cocok ({actual})")


@export_app.command("ekinerja")
def ekinerja_cmd(
    month: str = typer.Option(..., "--month", help="Bulan, YYYY-MM"),
    fmt: str = typer.Option("", "--format", help="csv atau json (kosong: dari akhiran --out)"),
    out: Path = typer.Option(..., "--out", help="Berkas keluaran"),
) -> None:
    """Kehadiran harian per NIP untuk aplikasi e-kinerja."""
    first = parse_month(month)
    result = export_ekinerja(first, fmt, out, resolve().url)
    console.print(f"{result.rows} baris kehadiran harian → {result.path}")
