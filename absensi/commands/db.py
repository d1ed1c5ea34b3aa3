"""`absensi db up|url|down|migrate`."""

from __future__ import annotations

import typer
from rich.console import Console

from absensi import db
from absensi.migrate import migrate

console = Console()


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(
        help="Database gudang: PostgreSQL tertanam atau ABSENSI_DATABASE_URL.", no_args_is_help=True
    )

    @db_app.command("up")
    def up() -> None:
        """Jalankan (atau pakai ulang) PostgreSQL tertanam dan cetak URL koneksinya."""
        external = db.external_url()
        if external:
            db.connect(external).close()
            console.print(f"ABSENSI_DATABASE_URL diset; memakai server itu: {db.redact(external)}")
            return
        url = db.start_embedded()
        console.print(f"PostgreSQL tertanam berjalan di {db.embedded_pgdata()}")
        print(url)

    @db_app.command("url")
    def url() -> None:
        """Cetak URL koneksi database yang dipakai semua perintah."""
        print(db.database_url())

    @db_app.command("down")
    def down() -> None:
        """Hentikan PostgreSQL tertanam (tidak menyentuh server ABSENSI_DATABASE_URL)."""
        if db.external_url():
            console.print("ABSENSI_DATABASE_URL diset; server eksternal tidak dihentikan.")
            return
        stopped = db.stop_embedded()
        console.print("PostgreSQL tertanam dihentikan." if stopped else "PostgreSQL tertanam tidak berjalan.")

    @db_app.command("migrate")
    def migrate_cmd() -> None:
        """Buat/perbarui skema raw dan peran (migrasi berurutan; aman diulang)."""
        with db.connect() as conn:
            applied = migrate(conn)
        if applied:
            console.print(f"Migrasi diterapkan: {', '.join(applied)}")
        else:
            console.print("Skema sudah mutakhir; tidak ada migrasi baru.")

    app.add_typer(db_app, name="db")
