"""`absensi generate`: a synthetic regency (reference CSVs, USB attlogs, truth) for demo and tests."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

# The only eager import of the generator: it is light (stdlib), and the help shows the real default.
from ingest.generator.core import DEFAULT_BASE_PORT

console = Console()


def generate_cmd(
    out: Path = typer.Option(..., "--out", help="Folder keluaran (dibuat bila belum ada)"),
    employees: int = typer.Option(..., "--employees", help="Jumlah pegawai"),
    devices: int = typer.Option(..., "--devices", help="Jumlah mesin sidik jari"),
    start: str = typer.Option(..., "--start", help="Tanggal awal YYYY-MM-DD"),
    days: int = typer.Option(..., "--days", help="Jumlah hari kalender sejak --start"),
    seed: int = typer.Option(..., "--seed", help="Benih acak: benih sama, berkas sama persis"),
    regency: str = typer.Option(
        "oku",
        "--regency",
        help="oku (WIB) | hsu (WITA) | tpp (contoh TPP 40/60, WIB); juga profil ABSENSI_REGENCY_PROFILE untuk build-nya",
    ),
    base_port: int = typer.Option(
        DEFAULT_BASE_PORT, "--base-port", help="Port mesin pertama (mesin ke-i: +i)"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Alamat mesin di devices.csv"),
    push: int = typer.Option(
        0, "--push", help="Berapa mesin (yang pertama) mengirim sendiri lewat ADMS (protocol push)"
    ),
    koreksi: bool = typer.Option(
        False, "--koreksi", help="Tulis juga koreksi.csv (moderasi OPD: disetujui/ditolak/diajukan)"
    ),
    shift_share: float = typer.Option(
        0.0,
        "--shift-share",
        help="Bagian pegawai berjadwal dinas (0–1; mis. 0.2): tulis juga roster.csv (PAGI/SIANG/MALAM, libur L)",
    ),
) -> None:
    """Buat kabupaten sintetis: OPD, mesin, pegawai, PIN, cuti, attlog USB, dan kebenaran (truth)."""
    from ingest.generator import generate

    summary = generate(
        out,
        employees=employees,
        devices=devices,
        start=start,
        days=days,
        seed=seed,
        regency=regency,
        base_port=base_port,
        host=host,
        push_devices=push,
        corrections=koreksi,
        shift_share=shift_share,
    )
    c = summary["counts"]
    console.print(
        f"Kabupaten sintetis {summary['regency'].upper()} ({summary['timezone']}) "
        f"{summary['start']} s.d. {summary['end']} ditulis ke {summary['out_dir']}: "
        f"{c['opd']} OPD, {c['devices']} mesin, {c['employees']} pegawai, {c['pins']} PIN, "
        f"{c['leave']} cuti/izin, "
        + (f"{c['koreksi']} koreksi, " if "koreksi" in c else "")
        + (f"{c['roster']} baris jadwal dinas, " if "roster" in c else "")
        + f"{c['punches']} rekaman absen, "
        f"{c['truth']} baris truth harian, {c['truth_monthly']} baris truth bulanan.",
        highlight=False,
        soft_wrap=True,
    )
