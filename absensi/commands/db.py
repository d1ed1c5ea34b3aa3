"""`absensi db up|url|down|migrate`."""

from __future__ import annotations

import typer
from rich.console import Console

from absensi.edge import resolve
from warehouse import db, settings
from warehouse.embedded import start_embedded, stop_embedded
from warehouse.migrate import migrate

console = Console()

app = typer.Typer(
    help="Database gudang: PostgreSQL tertanam atau ABSENSI_DATABASE_URL.", no_args_is_help=True
)


@app.command("up")
def up() -> None:
    """Jalankan (atau pakai ulang) PostgreSQL tertanam dan cetak URL koneksinya."""
    current = settings.load()
    if current.database_url:
        db.connect(current.database_url).close()
        console.print(f"ABSENSI_DATABASE_URL diset; memakai server itu: {db.redact(current.database_url)}")
        return
    url = start_embedded(current.pgdata)
    console.print(f"PostgreSQL tertanam berjalan di {current.pgdata}")
    print(url)


@app.command("url")
def url(
    show_password: bool = typer.Option(
        False, "--show-password", help="Cetak juga kata sandinya (jangan di log atau layar bersama)."
    ),
) -> None:
    """Cetak URL koneksi database yang dipakai semua perintah (kata sandi disamarkan ***)."""
    current = resolve().url
    print(current if show_password else db.redact(current))


@app.command("down")
def down() -> None:
    """Hentikan PostgreSQL tertanam (tidak menyentuh server ABSENSI_DATABASE_URL)."""
    current = settings.load()
    if current.database_url:
        console.print("ABSENSI_DATABASE_URL diset; server eksternal tidak dihentikan.")
        return
    stopped = stop_embedded(current.pgdata)
    console.print("PostgreSQL tertanam dihentikan." if stopped else "PostgreSQL tertanam tidak berjalan.")


@app.command("migrate")
def migrate_cmd() -> None:
    """Buat/perbarui skema raw dan peran (migrasi berurutan; aman diulang)."""
    with db.connect(resolve().url) as conn:
        applied = migrate(conn)
    if applied:
        console.print(f"Migrasi diterapkan: {', '.join(applied)}")
    else:
        console.print("Skema sudah mutakhir; tidak ada migrasi baru.")
