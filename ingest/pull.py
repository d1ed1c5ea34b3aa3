"""Pull devices with pyzk: every punch exactly once, one device's trouble never another's.

Per device: a UDP device first gets one short probe (an offline one fails in
`udp_probe_timeout` seconds, not the full pull timeout), then connect (no ping), check the serial,
read users, attendance and the device clock, then write users, punches and the batch row in ONE
transaction (raw_loader). pyzk connects and runs the small commands; the tables are read by
ingest.zk_reader (pyzk 0.9's table reads fail on several real firmwares) and the attendance buffer
is parsed by ingest.attlog_buffer (pyzk's get_attendance() is quadratic and misreads 8-byte records).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from zk import ZK, const

from ingest import zk_protocol as zp
from ingest.attlog_buffer import AttlogError, attlog_copy_text
from ingest.raw_loader import BatchResult, DeviceSnapshot, record_failed_batch, write_punch_batch
from ingest.registry import Device, active_devices, current_devices, get_device
from ingest.zk_reader import TableReader, ZkReadError
from warehouse import db
from warehouse.errors import UserError
from warehouse.settings import Settings

_READ_ATTEMPTS = 3  # a transfer that comes back short (lost UDP datagram) is read again


class DeviceError(Exception):
    """The device answered with something we cannot trust; the batch fails with this text."""


def comm_key(device: Device, settings: Settings) -> int:
    """The device's comm key from the environment variable its registry row names (0 = none)."""
    try:
        raw = settings.comm_key(device.comm_key_ref)
    except UserError as exc:
        raise DeviceError(str(exc)) from exc
    if not raw:
        return 0
    if not raw.isdigit():
        raise DeviceError(f"kunci komunikasi di {device.comm_key_ref} harus angka")
    return int(raw)


# ---- one device -----------------------------------------------------------------------------
def probe_udp(host: str, port: int, timeout: float) -> None:
    """One CMD_CONNECT datagram; any answer will do (then the probe's session is closed). Raises
    DeviceError when nothing answers within `timeout` seconds or the port is closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))  # a connected socket hears ICMP port-unreachable at once
            sock.send(zp.make_packet(const.CMD_CONNECT, 0, 0))
            answer = sock.recv(1024)
        except TimeoutError as exc:
            raise DeviceError(
                f"mesin tidak terjangkau (mati/offline): tidak menjawab UDP dalam {timeout:g} detik"
            ) from exc
        except OSError as exc:
            raise DeviceError(f"mesin tidak terjangkau (mati/offline): {exc.strerror or exc}") from exc
        if len(answer) >= 8:
            _command, _check, session_id, _reply, _payload = zp.parse_header(answer)
            try:
                sock.send(zp.make_packet(const.CMD_EXIT, session_id, 1))
            except OSError:
                pass


def _read_device(
    device: Device,
    settings: Settings,
    disable: bool,
    *,
    held: bool = False,
    before_disable: Callable[[], None] | None = None,
) -> tuple[DeviceSnapshot, ZK, object]:
    """Connect and read everything; returns the snapshot and the still-open pyzk connection.

    `held`: an earlier pull disabled this device and never enabled it again (ops.device_hold), so
    it is enabled first. `before_disable` runs (records the hold) before the disable command."""
    if device.protocol == "udp":
        probe_udp(device.host, device.port, min(settings.udp_probe_timeout, settings.pull_timeout))
    zk = ZK(
        device.host,
        port=device.port,
        timeout=settings.pull_timeout,
        password=comm_key(device, settings),
        force_udp=device.protocol == "udp",
        ommit_ping=True,
    )
    link = zk.connect()
    try:
        serial = link.get_serialnumber()
        if serial != device.device_sn:
            raise DeviceError(f"nomor seri di {device.address} adalah {serial!r}, bukan {device.device_sn!r}")
        if held:
            link.enable_device()  # left disabled by a pull that was killed before it could enable it
        if disable:
            if before_disable is not None:
                before_disable()
            link.disable_device()
        before = time.time()
        device_time = link.get_time()
        after = time.time()
        server_time = datetime.fromtimestamp((before + after) / 2, UTC)
        local_now = server_time.astimezone(ZoneInfo(device.timezone)).replace(tzinfo=None)
        skew = round((device_time - local_now) / timedelta(seconds=1))
        reader = TableReader(link)
        users = _read_users(link, reader)
        uid_to_pin = {uid: pin for uid, pin, *_rest in users}
        punch_copy, count = _read_attendance(link, reader, uid_to_pin)
    except ZkReadError as exc:
        _close(link, quick=True)
        raise DeviceError(str(exc)) from exc
    except BaseException:
        _close(link, quick=True)
        raise
    snapshot = DeviceSnapshot(
        punch_copy=punch_copy,
        records_read=count,
        users=users,
        device_time=device_time,
        server_time=server_time,
        clock_skew_seconds=skew,
    )
    return snapshot, zk, link


def _read_sizes(link) -> None:
    """The device's counts. Some firmwares answer 0 records to the first query of a session: a 0 is
    asked once more before it is believed."""
    link.read_sizes()
    if link.records == 0:
        link.read_sizes()


def _read_users(link, reader: TableReader) -> list[tuple[int, str, str, int, str]]:
    _read_sizes(link)
    if link.users == 0:
        return []
    table = reader.read_table(const.CMD_USERTEMP_RRQ, const.FCT_USER)
    total = struct.unpack_from("<I", table)[0] if len(table) >= 4 else -1
    if total != len(table) - 4 or total % link.users or total // link.users not in zp.USER_FORMATS:
        raise DeviceError(f"tabel pengguna tidak dikenal: {len(table)} byte untuk {link.users} pengguna")
    return zp.unpack_users(total // link.users, table[4:])


def _read_attendance(link, reader: TableReader, uid_to_pin: dict[int, str]) -> tuple[bytes, int]:
    problem = None
    for _attempt in range(_READ_ATTEMPTS):
        _read_sizes(link)
        if link.records == 0:
            return b"", 0
        data = reader.read_table(const.CMD_ATTLOG_RRQ)
        try:
            return attlog_copy_text(data, link.records, uid_to_pin), link.records
        except AttlogError as exc:
            if not exc.short:
                raise DeviceError(str(exc)) from exc
            problem = exc  # a punch logged mid-read, an empty first answer: read the whole buffer again
    raise DeviceError(f"{problem} (setelah {_READ_ATTEMPTS} kali baca)")


def _close(link, *, quick: bool = False) -> bool:
    """Enable (if we disabled it) and disconnect; True when the device was left enabled. After a
    failure the device may be mute: `quick` bounds each goodbye command to one second instead of
    the full pull timeout."""
    if quick:
        try:
            link._ZK__sock.settimeout(1.0)  # pyzk keeps its socket private; there is no other handle
        except (AttributeError, OSError):
            pass
    enabled = False
    try:
        if not link.is_enabled:
            link.enable_device()
        enabled = bool(link.is_enabled)
        link.disconnect()
    except Exception:  # noqa: BLE001 - the device may already be gone; nothing to save here
        pass
    return enabled


def _is_held(conn: psycopg.Connection, device_sn: str) -> bool:
    """Whether a pull disabled this device and never enabled it again (ops.device_hold)."""
    held = conn.execute("select 1 from ops.device_hold where device_sn = %s", (device_sn,)).fetchone()
    conn.commit()
    return held is not None


def _hold(conn: psycopg.Connection, device_sn: str) -> None:
    """Record, committed, that this pull is about to disable the device."""
    conn.execute(
        """insert into ops.device_hold (device_sn) values (%s)
           on conflict (device_sn) do update set disabled_at = now(), disabled_by = session_user""",
        (device_sn,),
    )
    conn.commit()


def _release(conn: psycopg.Connection, device_sn: str) -> None:
    """The device is enabled again: forget the hold (best effort; a stale row only re-enables)."""
    try:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            conn.rollback()
        conn.execute("delete from ops.device_hold where device_sn = %s", (device_sn,))
        conn.commit()
    except psycopg.Error:
        pass


def pull_device(url: str, device_sn: str, settings: Settings, *, clear_after: bool = False) -> BatchResult:
    """Pull one registered device into raw (own connection, own transaction); never raises for a
    device problem: a failed pull is a `failed` batch row with the error, and nothing partial.
    `settings` gives the timeout, the comm keys and the regency's timezone."""
    with db.connect(url) as conn:
        device = get_device(conn, device_sn, settings.timezone)
        if device is None:
            raise UserError(f"mesin {device_sn!r} tidak terdaftar (muat devices.csv dahulu)")
        _refuse_push([device])
        return _pull(conn, device, settings, clear_after)


def _refuse_push(devices: Sequence[Device]) -> None:
    push = [d.device_sn for d in devices if not d.is_pulled]
    if push:
        raise UserError(
            f"mesin {', '.join(push)} memakai protocol push: mesin itu mengirim sendiri ke "
            "`absensi adms serve`, tidak ditarik"
        )


def _pull(conn: psycopg.Connection, device: Device, settings: Settings, clear_after: bool) -> BatchResult:
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    snapshot = None
    held = _is_held(conn, device.device_sn)
    try:
        snapshot, _zk, link = _read_device(
            device,
            settings,
            disable=clear_after,
            held=held,
            before_disable=lambda: _hold(conn, device.device_sn),
        )
    except Exception as exc:  # noqa: BLE001 - any device failure fails only this device's batch
        return _failed(conn, device, started_at, exc, t0)
    read_seconds = time.perf_counter() - t0
    try:
        if not clear_after:
            if _close(link) and held:  # free the device before the database work
                _release(conn, device.device_sn)
        result = write_punch_batch(
            conn,
            kind="pull",
            source="pull",
            device_sn=device.device_sn,
            started_at=started_at,
            snapshot=snapshot,
        )
    except Exception as exc:  # noqa: BLE001
        if _close(link, quick=True) and (held or clear_after):
            _release(conn, device.device_sn)
        return _failed(conn, device, started_at, exc, t0, snapshot)
    result.extra["read_seconds"] = round(read_seconds, 3)
    result.extra["write_seconds"] = round(result.seconds, 3)
    if held:
        result.extra["reenabled"] = True
    if clear_after:
        try:
            _clear_committed(conn, device, snapshot, link)
            result.extra["cleared"] = True
        except Exception as exc:  # noqa: BLE001 - the batch is committed; only the clearing failed
            result.extra["cleared"] = False
            result.extra["clear_error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if _close(link):
                _release(conn, device.device_sn)
    return _with_seconds(result, t0)


def _clear_committed(conn: psycopg.Connection, device: Device, snapshot: DeviceSnapshot, link) -> None:
    """Clear the device log only after checking every punch read is committed in raw."""
    with conn.transaction():
        conn.execute("create temp table tmp_verify (device_pin text, punch_local timestamp) on commit drop")
        with conn.cursor() as cur, cur.copy("copy tmp_verify from stdin") as copy:
            copy.write(
                b"".join(line.rsplit(b"\t", 3)[0] + b"\n" for line in snapshot.punch_copy.splitlines())
            )
        missing = conn.execute(
            """select count(*) from (select distinct device_pin, punch_local from tmp_verify) v
                where not exists (select 1 from raw.device_punch p where p.device_sn = %s
                                     and p.device_pin = v.device_pin and p.punch_local = v.punch_local)""",
            (device.device_sn,),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
    if missing:
        raise DeviceError(f"{missing} catatan belum tersimpan; log mesin TIDAK dihapus")
    link.read_sizes()
    if link.records != snapshot.records_read:
        # A punch arrived although the device was disabled: clearing now would lose it.
        raise DeviceError("jumlah catatan berubah sejak dibaca; log mesin TIDAK dihapus (batch tersimpan)")
    link.clear_attendance()


def _failed(conn, device: Device, started_at, exc: BaseException, t0: float, snapshot=None) -> BatchResult:
    message = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, DeviceError):
        message = f"{_explain(message)}{type(exc).__name__}: {message}"
    error = f"mesin {device.device_sn} ({device.address}): {message.splitlines()[0]}"
    result = record_failed_batch(
        conn,
        kind="pull",
        device_sn=device.device_sn,
        started_at=started_at,
        error=error,
        records_read=snapshot.records_read if snapshot else 0,
        device_time=snapshot.device_time if snapshot else None,
        server_time=snapshot.server_time if snapshot else None,
        clock_skew_seconds=snapshot.clock_skew_seconds if snapshot else None,
    )
    return _with_seconds(result, t0)


def _warehouse_lost(url: str, device: Device, started_at, exc: BaseException, t0: float) -> BatchResult:
    """The database stopped or restarted during this device's pull (nothing of it was committed,
    or its batch is already whole): a failed result, and a failed batch row on a fresh connection
    when the server is back; the other devices and the exit code go on counting."""
    reason = db.redact(" ".join(str(exc).split()) or type(exc).__name__)
    error = f"mesin {device.device_sn} ({device.address}): database terputus saat menarik: {reason}"
    try:
        with db.connect(url) as conn:
            result = record_failed_batch(
                conn, kind="pull", device_sn=device.device_sn, started_at=started_at, error=error
            )
    except Exception:  # noqa: BLE001 - still down: the result says so, the next pull reads the device again
        result = BatchResult(
            batch_id=None, kind="pull", device_sn=device.device_sn, status="failed", error=error
        )
    return _with_seconds(result, t0)


def _explain(message: str) -> str:
    """An operator's reading of common network errors (the original text follows it)."""
    lowered = message.lower()
    if "timed out" in lowered:
        return "mesin berhenti menjawab (macet/jaringan lambat); "
    if any(w in lowered for w in ("broken pipe", "refused", "unreachable", "no route", "reset by peer")):
        return "mesin tidak terjangkau (mati/offline); "
    return ""


def _with_seconds(result: BatchResult, t0: float) -> BatchResult:
    from dataclasses import replace

    return replace(result, seconds=time.perf_counter() - t0)


# ---- many devices ---------------------------------------------------------------------------
def pull_devices(
    url: str,
    settings: Settings,
    device_sns: Sequence[str] | None = None,
    max_workers: int = 8,
    *,
    clear_after: bool = False,
    on_result: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    """Pull the given devices (default: every active registered one) in parallel, at most
    `max_workers` at once; one result per device, in registry order. Unknown serials: UserError
    before anything is pulled."""
    with db.connect(url) as conn:
        if device_sns:
            known = {d.device_sn: d for d in current_devices(conn, settings.timezone)}
            unknown = [sn for sn in device_sns if sn not in known]
            if unknown:
                raise UserError(f"mesin tidak terdaftar: {', '.join(unknown)} (muat devices.csv dahulu)")
            devices = [known[sn] for sn in dict.fromkeys(device_sns)]
            _refuse_push(devices)
        else:
            devices = active_devices(conn, settings.timezone)

    def one(device: Device) -> BatchResult:
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        try:
            with db.connect(url) as conn:
                result = _pull(conn, device, settings, clear_after)
        except Exception as exc:  # noqa: BLE001 - device faults never get here: the warehouse went away
            result = _warehouse_lost(url, device, started_at, exc, t0)
        if on_result is not None:
            on_result(result)
        return result

    if not devices:
        return []
    with ThreadPoolExecutor(
        max_workers=max(1, min(max_workers, len(devices))), thread_name_prefix="pull"
    ) as pool:
        return list(pool.map(one, devices))
