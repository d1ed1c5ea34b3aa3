"""Small regency folders in the generator's formats (devices.csv, opd.csv, pins.csv, attlog/) for the
device tests, and registering a running simulation's devices in the warehouse."""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from ingest.reference import load_reference_file


def make_records(count: int, *, seed: int = 1, pins: int = 50, start: str = "2026-03-02") -> list[tuple]:
    """`count` distinct punches (pin, 'YYYY-MM-DD HH:MM:SS', verify, state, work_code), device order."""
    rng = random.Random(seed)
    base = datetime.fromisoformat(start)
    seen: set[tuple[str, str]] = set()
    out = []
    while len(out) < count:
        pin = str(1000 + rng.randrange(pins))
        when = (base + timedelta(seconds=rng.randrange(60 * 86400))).strftime("%Y-%m-%d %H:%M:%S")
        if (pin, when) in seen:
            continue
        seen.add((pin, when))
        out.append((pin, when, rng.choice((1, 15)), rng.choice((0, 1)), rng.choice((0, 0, 3))))
    out.sort(key=lambda r: r[1])  # devices log in time order
    return out


def write_regency(
    folder: Path, devices: dict[str, list[tuple]], *, protocols: dict[str, str] | None = None
) -> Path:
    """Write a regency folder; `devices` maps serial -> its attlog records."""
    (folder / "attlog").mkdir(parents=True, exist_ok=True)
    (folder / "opd.csv").write_text("opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n", encoding="utf-8")
    with (folder / "devices.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["device_sn", "nama", "opd_code", "host", "port", "protocol", "timezone"])
        for i, serial in enumerate(devices):
            proto = (protocols or {}).get(serial, "tcp")
            writer.writerow([serial, f"Mesin {serial}", "OPD01", "127.0.0.1", 4370 + i, proto, ""])
    for serial, records in devices.items():
        lines = [f"{pin:>9}\t{when}\t{v}\t{s}\t{w}\t0\n" for pin, when, v, s, w in records]
        (folder / "attlog" / f"{serial}_attlog.dat").write_text("".join(lines), encoding="utf-8")
    (folder / "regency.json").write_text(
        json.dumps({"regency": "uji", "timezone": "Asia/Jakarta"}), encoding="utf-8"
    )
    return folder


def register_devices(
    conn, sim, folder: Path, tmp_path: Path, *, active: dict[str, bool] | None = None
) -> None:
    """Load opd.csv and a devices.csv naming the ports the simulation really listens on."""
    load_reference_file(conn, "opd", folder / "opd.csv")
    target = sim.write_devices_csv(folder / "devices.csv", tmp_path / f"devices_{id(sim)}.csv")
    if active:
        with target.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            row["active"] = "false" if active.get(row["device_sn"]) is False else "true"
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    load_reference_file(conn, "devices", target)


def stored_punches(conn, serial: str) -> list[tuple]:
    return [
        (pin, when.strftime("%Y-%m-%d %H:%M:%S"), v, s, w)
        for pin, when, v, s, w in conn.execute(
            "select device_pin, punch_local, verify_type, punch_state, work_code from raw.device_punch"
            " where device_sn = %s order by punch_local, device_pin",
            (serial,),
        )
    ]


def register_serials(conn, folder: Path, serials: list[str]) -> None:
    """Register devices by serial only (one OPD), as `absensi load devices` would."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "opd_reg.csv").write_text(
        "opd_code,nama_opd,jenis_opd\nOPD01,Dinas Uji,dinas\n", encoding="utf-8"
    )
    load_reference_file(conn, "opd", folder / "opd_reg.csv")
    rows = "".join(f"{sn},Mesin {sn},OPD01,127.0.0.1,4370,tcp,\n" for sn in serials)
    (folder / "devices_reg.csv").write_text(
        "device_sn,nama,opd_code,host,port,protocol,timezone\n" + rows, encoding="utf-8"
    )
    load_reference_file(conn, "devices", folder / "devices_reg.csv")


def store_unchecked_usb_batch(conn, path: Path, device_sn: str) -> int:
    """A USB batch stored without the serial check, as versions before `import-usb` checked it did
    (the way punches of an unregistered device got into raw): returns its batch id."""
    from ingest.raw_loader import DeviceSnapshot, utcnow, write_punch_batch
    from ingest.usb import parse_attlog

    punch_copy, count = parse_attlog(path)
    snapshot = DeviceSnapshot(punch_copy=punch_copy, records_read=count)
    result = write_punch_batch(
        conn, kind="usb", source="usb", device_sn=device_sn, started_at=utcnow(), snapshot=snapshot,
        source_file=str(path),
    )  # fmt: skip
    assert result.batch_id is not None
    return result.batch_id
