"""ZKTeco device simulators: the device side of the ZK protocol, as unmodified pyzk 0.9 expects it,
and devices in ADMS push mode (`ingest.simulator.adms`) that call the push receiver.

`serve_regency(dir)` serves every pulled device (protocol tcp/udp) of a generated regency folder
(devices.csv + attlog/) on its own host/port, TCP and UDP, until the `with` block ends;
`push_regency(dir, url)` starts every push device of the folder pushing its log to `url`.
`absensi simulate --from DIR [--push-to URL]` runs both until Ctrl-C.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.simulator.adms import AdmsDevice, PushFaults
from ingest.simulator.device import DeviceSpec, Faults, SimDevice
from ingest.simulator.server import DeviceServer
from warehouse.errors import UserError
from warehouse.settings import COMMKEY_PREFIX, DEFAULT_TIMEZONE

__all__ = [
    "AdmsDevice",
    "DeviceSpec",
    "DeviceServer",
    "Faults",
    "PushFaults",
    "SimDevice",
    "Simulation",
    "load_push_devices",
    "load_regency",
    "push_regency",
    "serve_regency",
]


@dataclass
class Simulation:
    """A running set of devices: `devices[SN]` is the SimDevice, `address(SN)` where it listens."""

    devices: dict[str, SimDevice]
    server: DeviceServer

    def address(self, serial: str) -> tuple[str, int]:
        spec = self.devices[serial].spec
        return spec.host, spec.port

    def write_devices_csv(self, source: Path, target: Path) -> Path:
        """`source` devices.csv with each port replaced by the one actually served (free ports)."""
        with source.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fieldnames = list(reader.fieldnames or [])
            rows = list(reader)
        for row in rows:
            device = self.devices.get(row["device_sn"])
            if device is not None:
                row["host"], row["port"] = device.spec.host, str(device.spec.port)
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
        return target


def load_regency(
    folder: str | Path,
    *,
    faults: Mapping[str, Faults | dict | str] | None = None,
    ports: Mapping[str, int] | None = None,
    free_ports: bool = False,
    host: str | None = None,
    comm_keys: Mapping[str, int] | None = None,
    key_env: Mapping[str, str] | None = None,
    overrides: Mapping[str, dict] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> list[SimDevice]:
    """Build the devices of a generated regency folder (not yet serving).

    `faults`/`comm_keys`/`overrides` are keyed by serial (overrides set DeviceSpec fields such as
    att_format, user_format, clock_offset, clock_drift, capacity); `ports` overrides a device's port;
    `free_ports` lets the OS pick every port (tests running side by side). A device without an
    explicit comm key takes the one the pull would use from `key_env` (the `ABSENSI_COMMKEY_*`
    settings). `timezone` is the devices' clock zone when the folder's regency.json names none.
    """
    folder = Path(folder)
    devices_csv = folder / "devices.csv"
    if not devices_csv.is_file():
        raise UserError(f"{devices_csv}: tidak ada; folder kabupaten hasil `absensi generate` diperlukan")
    timezone = _regency_timezone(folder, timezone)
    users = _users_by_device(folder)
    faults = dict(faults or {})
    unknown = set(faults) | set(ports or {}) | set(comm_keys or {}) | set(overrides or {})
    devices: list[SimDevice] = []
    from ingest.usb import read_attlog

    with devices_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row_no, row in enumerate(rows, start=2):
        serial = (row.get("device_sn") or "").strip()
        if not serial:
            raise UserError(f"{devices_csv}:{row_no}: device_sn kosong")
        if _is_push(row):
            continue  # it pushes (push_regency); nothing listens for a pull
        unknown.discard(serial)
        attlog = folder / "attlog" / f"{serial}_attlog.dat"
        records = read_attlog(attlog) if attlog.is_file() else []
        try:
            port = 0 if free_ports else int((ports or {}).get(serial, row.get("port") or 4370))
        except ValueError as exc:
            raise UserError(f"{devices_csv}:{row_no}: port {row.get('port')!r} bukan angka") from exc
        spec = DeviceSpec(
            serial=serial,
            records=records,
            users=users.get(serial, []) + users.get("", []),
            name=(row.get("nama") or serial)[:24],
            host=host or (row.get("host") or "127.0.0.1").strip(),
            port=port,
            timezone=(row.get("timezone") or "").strip() or timezone,
            comm_key=_comm_key(serial, row, comm_keys, key_env or {}),
            faults=Faults.parse(faults.get(serial)),
        )
        for name, value in (overrides or {}).get(serial, {}).items():
            setattr(spec, name, value)
        spec.users = _users_that_fit(spec)
        devices.append(SimDevice(spec))
    if unknown:
        raise UserError(
            f"{devices_csv}: mesin tidak dikenal dalam pengaturan simulasi: {', '.join(sorted(unknown))}"
        )
    return devices


def _is_push(row: Mapping[str, str | None]) -> bool:
    return (row.get("protocol") or "").strip() == "push"


def _regency_timezone(folder: Path, timezone: str) -> str:
    regency_json = folder / "regency.json"
    if regency_json.is_file():
        return json.loads(regency_json.read_text(encoding="utf-8")).get("timezone") or timezone
    return timezone


def load_push_devices(
    folder: str | Path,
    url: str,
    *,
    faults: Mapping[str, PushFaults | dict | str] | None = None,
    chunk: int | None = None,
    tokens: Mapping[str, str] | None = None,
    overrides: Mapping[str, dict] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    seed: int = 0,
) -> list[AdmsDevice]:
    """The push devices (protocol push) of a generated folder, ready to push to `url` (not started).

    `faults`/`overrides` are keyed by serial (overrides set AdmsDevice fields: chunk, clock_offset,
    token, …); `tokens` are the `ABSENSI_ADMS_TOKEN_*` values a relay would add for rows that
    name a push_token_ref.
    """
    folder = Path(folder)
    devices_csv = folder / "devices.csv"
    if not devices_csv.is_file():
        raise UserError(f"{devices_csv}: tidak ada; folder kabupaten hasil `absensi generate` diperlukan")
    timezone = _regency_timezone(folder, timezone)
    users = _users_by_device(folder)
    from ingest.usb import read_attlog

    with devices_csv.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if _is_push(r)]
    unknown = (set(faults or {}) | set(overrides or {})) - {(r.get("device_sn") or "").strip() for r in rows}
    if unknown:
        raise UserError(f"{devices_csv}: bukan mesin push di folder ini: {', '.join(sorted(unknown))}")
    devices = []
    for row in rows:
        serial = (row.get("device_sn") or "").strip()
        attlog = folder / "attlog" / f"{serial}_attlog.dat"
        token_ref = (row.get("push_token_ref") or "").strip()
        device = AdmsDevice(
            serial=serial,
            records=read_attlog(attlog) if attlog.is_file() else [],
            url=url,
            users=list(dict.fromkeys(users.get(serial, []) + users.get("", []))),
            timezone=(row.get("timezone") or "").strip() or timezone,
            faults=PushFaults.parse((faults or {}).get(serial)),
            token=(tokens or {}).get(token_ref, "") if token_ref else "",
            seed=seed,
            name=(row.get("nama") or serial)[:24],
        )
        if chunk:
            device.chunk = chunk
        for name, value in (overrides or {}).get(serial, {}).items():
            setattr(device, name, value)
        devices.append(device)
    return devices


@contextmanager
def push_regency(folder: str | Path, url: str, **options) -> Iterator[dict[str, AdmsDevice]]:
    """Every push device of a generated folder pushing to `url` inside the block (see
    load_push_devices for options); yields them by serial."""
    devices = load_push_devices(folder, url, **options)
    started: list[AdmsDevice] = []
    try:
        for device in devices:
            started.append(device.start())
        yield {d.serial: d for d in devices}
    finally:
        for device in started:
            device.stop()


def _comm_key(serial: str, row: dict, comm_keys: Mapping[str, int] | None, key_env: Mapping[str, str]) -> int:
    """Explicit key, else the same variable the pull reads (so a demo just works)."""
    if comm_keys is not None and serial in comm_keys:
        return int(comm_keys[serial])
    env_name = (row.get("comm_key_ref") or "").strip() or f"{COMMKEY_PREFIX}{serial}"
    value = key_env.get(env_name, "").strip()
    return int(value) if value.isdigit() else 0


def _users_that_fit(spec: DeviceSpec) -> list[tuple[str, str]]:
    from ingest import zk_protocol as zp

    seen: set[str] = set()
    kept = []
    for pin, name in spec.users:
        if pin not in seen and zp.pin_fits(spec.att_format, spec.user_format, pin):
            seen.add(pin)
            kept.append((pin, name))
    return kept


def _users_by_device(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Enrolled users per device serial ('' = every device) from pins.csv, named from employees.csv."""
    pins_csv, employees_csv = folder / "pins.csv", folder / "employees.csv"
    names: dict[str, str] = {}
    if employees_csv.is_file():
        with employees_csv.open(newline="", encoding="utf-8") as fh:
            names = {r["nip"]: r.get("nama", "") for r in csv.DictReader(fh)}
    users: dict[str, list[tuple[str, str]]] = {}
    if pins_csv.is_file():
        with pins_csv.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                serial = (r.get("device_sn") or "").strip()
                users.setdefault(serial, []).append((r["device_pin"].strip(), names.get(r["nip"], "")))
    return users


@contextmanager
def serve_regency(
    folder: str | Path,
    faults: Mapping[str, Faults | dict | str] | None = None,
    **options,
) -> Iterator[Simulation]:
    """Serve every device of a generated folder (see load_regency for options) inside the block."""
    devices = load_regency(folder, faults=faults, **options)
    server = DeviceServer(devices)
    try:
        server.start()
    except OSError as exc:
        raise UserError(f"simulator tidak dapat membuka port: {exc}") from exc
    try:
        yield Simulation({d.spec.serial: d for d in devices}, server)
    finally:
        server.stop()
