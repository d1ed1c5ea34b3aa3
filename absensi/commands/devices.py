"""`absensi pull`, `absensi simulate`, `absensi import-usb`: the device side of the warehouse."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from absensi.commands.progress import progress_bar
from absensi.edge import resolve
from warehouse import db
from warehouse.errors import UserError

console = Console()
MAX_EXIT_CODE = 100  # exit code = failed devices, capped below the shell's special values


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        serial, sep, rest = value.partition("=")
        if not sep or not serial.strip():
            raise UserError(f"{option} {value!r}: bentuknya SN=NILAI")
        pairs[serial.strip()] = rest.strip()
    return pairs


def pull(
    device: Annotated[
        list[str] | None,
        typer.Option(
            "--device", "-d", help="Nomor seri mesin (boleh berulang); tanpa ini: semua mesin aktif"
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Mesin yang ditarik bersamaan")
    ] = 8,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Detik menunggu jawaban mesin (bawaan ABSENSI_PULL_TIMEOUT atau 20)"),
    ] = None,
    clear_after: Annotated[
        bool,
        typer.Option("--clear-after", help="Hapus log mesin setelah semua catatannya terbukti tersimpan"),
    ] = False,
) -> None:
    """Tarik catatan absensi dari mesin ZKTeco ke raw. Kode keluar = jumlah mesin yang gagal."""
    from ingest.pull import pull_devices
    from ingest.registry import active_devices

    edge = resolve()
    settings = edge.settings if timeout is None else replace(edge.settings, pull_timeout=timeout)
    with db.connect(edge.url) as conn:
        total = len(device) if device else len(active_devices(conn, settings.timezone))
    if total == 0:
        console.print("Tidak ada mesin aktif terdaftar; muat devices.csv dengan `absensi load devices`.")
        return
    with progress_bar(console, "menarik mesin", total) as bar:

        def advance(result) -> None:
            bar.advance(f"{result.device_sn} {'ok' if result.ok else 'GAGAL'}")

        results = pull_devices(
            edge.url,
            settings,
            device or None,
            max_workers=workers,
            clear_after=clear_after,
            on_result=advance,
        )
    table = Table(title="Hasil tarik mesin")
    for column in ("mesin", "status", "dibaca", "baru", "selisih jam (dtk)", "durasi", "keterangan"):
        table.add_column(
            column, justify="right" if column in ("dibaca", "baru", "selisih jam (dtk)") else "left"
        )
    for r in results:
        note = r.error or ""
        if r.extra.get("cleared"):
            note = "log mesin dihapus setelah terverifikasi"
        elif r.extra.get("clear_error"):
            note = f"log TIDAK dihapus: {r.extra['clear_error']}"
        if r.extra.get("reenabled"):
            note = "; ".join(
                filter(None, ["diaktifkan lagi (ditinggal nonaktif oleh tarik yang terhenti)", note])
            )
        table.add_row(
            r.device_sn or "",
            "ok" if r.ok else "[red]gagal[/]",
            str(r.records_read),
            str(r.records_new),
            "" if r.clock_skew_seconds is None else str(r.clock_skew_seconds),
            f"{r.seconds:.1f} s",
            note,
        )
    console.print(table)
    failed = sum(not r.ok for r in results)
    new = sum(r.records_new for r in results)
    console.print(f"{len(results)} mesin, {failed} gagal, {new} catatan baru.", highlight=False)
    if failed:
        # SystemExit, not typer.Exit: the CLI runs click with standalone_mode=False, which
        # turns typer.Exit into a return value and would lose the code.
        raise SystemExit(min(failed, MAX_EXIT_CODE))


def simulate(
    source: Annotated[
        Path,
        typer.Option("--from", help="Folder kabupaten hasil `absensi generate` (devices.csv, attlog/)"),
    ],
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Gangguan per mesin, SN=offline | stall | latency=0.5 | drop_chunk=1 | clock_reset | log_full | garbage; "
            "perilaku firmware: split_data | one_write | write_gap=0.004 | direct_only | clock_reset_mid | "
            "empty_first_read (gabung dengan koma)",
        ),
    ] = None,
    port: Annotated[list[str] | None, typer.Option("--port", help="Ganti port mesin: SN=PORT")] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Alamat dengar semua mesin (bawaan: dari devices.csv)")
    ] = None,
    clock: Annotated[
        list[str] | None,
        typer.Option("--clock", help="Jam mesin maju/mundur: SN=DETIK (mis. OKU001=-300)"),
    ] = None,
    drift: Annotated[
        list[str] | None,
        typer.Option("--drift", help="Jam mesin melenceng: SN=DETIK_PER_JAM (mis. OKU001=2)"),
    ] = None,
    push_to: Annotated[
        str | None,
        typer.Option(
            "--push-to",
            help="URL penerima ADMS (mis. http://127.0.0.1:8081): mesin ber-protocol push mengirim ke sana",
        ),
    ] = None,
    push_fault: Annotated[
        list[str] | None,
        typer.Option(
            "--push-fault",
            help="Gangguan mesin push, SN=offline | latency=0.5 | slow=2000 (byte/detik) | flap=0.2 (gabung dengan koma)",
        ),
    ] = None,
    chunk: Annotated[
        int | None,
        typer.Option("--chunk", min=1, help="Catatan per kiriman saat mesin push mengunggah tumpukan"),
    ] = None,
) -> None:
    """Jalankan mesin ZKTeco tiruan sampai Ctrl-C: mesin tcp/udp menunggu ditarik (TCP dan UDP),
    mesin push mengirim lognya ke --push-to seperti mesin ADMS sungguhan."""
    import threading
    from contextlib import ExitStack

    from ingest.simulator import push_regency, serve_regency
    from warehouse import settings

    current = settings.load()
    ports = {sn: int(p) for sn, p in _pairs(port, "--port").items() if p.isdigit()}
    if len(ports) != len(_pairs(port, "--port")):
        raise UserError("--port: nomor port harus angka (SN=PORT)")
    overrides: dict[str, dict] = {}
    for option, values, field_name in (
        ("--clock", clock, "clock_offset"),
        ("--drift", drift, "clock_drift"),
    ):
        for serial, value in _pairs(values, option).items():
            try:
                overrides.setdefault(serial, {})[field_name] = float(value)
            except ValueError as exc:
                raise UserError(f"{option} {serial}={value!r}: harus angka detik") from exc
    stack = ExitStack()
    try:
        sim = stack.enter_context(
            serve_regency(
                source,
                faults=_pairs(fault, "--fault") or None,
                ports=ports or None,
                host=host,
                overrides=overrides,
                key_env=current.comm_keys,
                timezone=current.timezone,
            )
        )
        pushing = {}
        if push_to:
            pushing = stack.enter_context(
                push_regency(
                    source,
                    push_to.rstrip("/"),
                    faults=_pairs(push_fault, "--push-fault") or None,
                    chunk=chunk,
                    tokens=current.adms.tokens,
                    timezone=current.timezone,
                )
            )
    except ValueError as exc:
        stack.close()
        raise UserError(f"--fault/--push-fault: {exc}") from exc
    except BaseException:
        stack.close()
        raise
    try:
        table = Table(title=f"Mesin tiruan dari {source}")
        for column in ("mesin", "alamat", "catatan", "pengguna", "gangguan"):
            table.add_column(column)
        for serial, dev in sim.devices.items():
            faults = [k for k, v in vars(dev.faults).items() if v]
            host_, port_ = sim.address(serial)
            table.add_row(
                serial,
                f"{host_}:{port_} tcp+udp",
                str(len(dev.records)),
                str(len(dev.spec.users)),
                ", ".join(faults),
            )
        for serial, push in pushing.items():
            faults = [k for k, v in vars(push.faults).items() if v]
            table.add_row(
                serial, f"push → {push_to}", str(len(push.records)), str(len(push.users)), ", ".join(faults)
            )
        console.print(table)
        if not push_to and _has_push_devices(source):
            console.print("Mesin ber-protocol push tidak dijalankan: beri --push-to URL penerima ADMS.")
        console.print("Berjalan; tekan Ctrl-C untuk berhenti.")
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("Simulator dihentikan.")
    finally:
        stack.close()


def _has_push_devices(folder: Path) -> bool:
    import csv

    with (folder / "devices.csv").open(newline="", encoding="utf-8") as fh:
        return any((row.get("protocol") or "").strip() == "push" for row in csv.DictReader(fh))


def import_usb(
    file: Annotated[Path, typer.Argument(help="Berkas *_attlog.dat dari flashdisk mesin")],
    device: Annotated[
        str, typer.Option("--device", "-d", help="Nomor seri mesin asal berkas (harus terdaftar)")
    ],
    force_serial: Annotated[
        bool,
        typer.Option(
            "--force-serial",
            help="Impor walau nama berkas menyebut nomor seri lain (dicatat di batch)",
        ),
    ] = False,
    exported_at: Annotated[
        str | None,
        typer.Option(
            "--exported-at",
            help="Jam mesin saat berkas diunduh dari mesin (YYYY-MM-DD HH:MM): hari sampai saat itu "
            "dianggap lengkap untuk mesin ini; tanpa ini hanya sampai absen terakhir di berkas",
        ),
    ] = None,
) -> None:
    """Impor berkas attlog USB sebagai satu batch (berkas rusak ditolak seluruhnya; aman diulang).
    Mesin harus terdaftar; berkas bernama nomor seri lain ditolak kecuali --force-serial."""
    from ingest.usb import import_attlog, parse_exported_at

    exported = parse_exported_at(exported_at) if exported_at is not None else None
    with db.connect(resolve().url) as conn:
        result = import_attlog(conn, file, device, force_serial=force_serial, exported_at=exported)
    console.print(
        f"{file}: {result.records_read} catatan dibaca, {result.records_new} baru "
        f"(mesin {result.device_sn}, batch {result.batch_id})",
        highlight=False,
    )
    if result.extra.get("forced_serial"):
        console.print(
            f"Catatan: nama berkas menyebut {result.extra['forced_serial']}; diimpor sebagai {result.device_sn} "
            f"atas --force-serial (tercatat di batch {result.batch_id}). Bila keliru: "
            f'`absensi batch retract {result.batch_id} --reason "…"`',
            highlight=False,
        )
