"""Operator side of the push receiver: queue a command for a push device, see what the devices did.

Commands wait in `ops.adms_command` until the device's next heartbeat (`GET /iclock/getrequest`),
which takes them as `C:<id>:<text>`; the device's answer on `/iclock/devicecmd` fills in the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from ingest.adms.protocol import COMMANDS
from ingest.registry import get_device
from warehouse.errors import UserError

# What an operator may type (Indonesian aliases too) -> ops.adms_command.command.
ALIASES = {
    "info": "INFO",
    "check": "CHECK",
    "cek": "CHECK",
    "reboot": "REBOOT",
    "restart": "REBOOT",
    "time": "TIME",
    "sync-time": "TIME",
    "sinkron-jam": "TIME",
    "jam": "TIME",
}


def queue_command(
    conn: psycopg.Connection, device_sn: str, command: str, default_timezone: str, *, from_start: bool = False
) -> int:
    """Queue `command` (info | check | reboot | time, or an alias) for a registered push device;
    returns its id. UserError for an unknown command or a device that is not an active push device.

    `from_start` (with check): forget the device's upload stamps first, so at its next handshake it
    is told `None` and uploads its whole log again (after its log was cleared, or to be sure): the
    natural key keeps what is already stored from counting twice."""
    name = ALIASES.get(command.strip().lower())
    if name is None:
        raise UserError(
            f"perintah {command!r} tidak dikenal; pilih info, check, reboot atau time (sinkron-jam)"
        )
    assert name in COMMANDS
    device = get_device(conn, device_sn, default_timezone)
    if device is None:
        raise UserError(f"mesin {device_sn!r} tidak terdaftar (muat devices.csv dahulu)")
    if device.protocol != "push":
        raise UserError(
            f"mesin {device_sn} memakai protocol {device.protocol}, bukan push: perintah ADMS tidak sampai"
        )
    if not device.active:
        raise UserError(f"mesin {device_sn} tidak aktif di daftar mesin")
    if from_start and name != "CHECK":
        raise UserError("--dari-awal hanya untuk perintah check")
    with conn.transaction():
        if from_start:
            conn.execute(
                """update ops.adms_device set attlog_stamp = null, operlog_stamp = null, attphoto_stamp = null
                    where device_sn = %s""",
                (device_sn,),
            )
        command_id = conn.execute(
            "insert into ops.adms_command (device_sn, command) values (%s, %s) returning command_id",
            (device_sn, name),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
    return int(command_id)


@dataclass(frozen=True)
class PushDeviceStatus:
    device_sn: str
    name: str
    active: bool
    last_seen_at: datetime | None
    last_seen_from: str | None
    last_request: str | None
    attlog_stamp: int | None
    last_batch_at: datetime | None
    last_batch_status: str | None
    last_error: str | None
    punches_today: int
    pending_commands: int


def push_status(conn: psycopg.Connection, default_timezone: str) -> list[PushDeviceStatus]:
    """Every registered push device with what the receiver knows of it (never heard: nulls)."""
    from ingest.registry import current_devices

    devices = [d for d in current_devices(conn, default_timezone) if d.protocol == "push"]
    out = []
    for device in devices:
        seen = conn.execute(
            """select last_seen_at, last_seen_from, last_request, attlog_stamp
                 from ops.adms_device where device_sn = %s""",
            (device.device_sn,),
        ).fetchone() or (None, None, None, None)
        batch = conn.execute(
            """select finished_at, status, error from raw.ingest_batch
                where device_sn = %s and kind = 'push' order by batch_id desc limit 1""",
            (device.device_sn,),
        ).fetchone() or (None, None, None)
        today = conn.execute(
            """select count(*) from raw.device_punch
                where device_sn = %s and punch_local >= (now() at time zone %s)::date
                  and punch_local < (now() at time zone %s)::date + 1""",
            (device.device_sn, device.timezone, device.timezone),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
        pending = conn.execute(
            "select count(*) from ops.adms_command where device_sn = %s and sent_at is null",
            (device.device_sn,),
        ).fetchone()[0]  # type: ignore[index]  # one row by construction
        last_seen_at, last_seen_from, last_request, attlog_stamp = seen
        last_batch_at, last_batch_status, last_error = batch
        out.append(
            PushDeviceStatus(
                device_sn=device.device_sn,
                name=device.name,
                active=device.active,
                last_seen_at=last_seen_at,
                last_seen_from=last_seen_from,
                last_request=last_request,
                attlog_stamp=attlog_stamp,
                last_batch_at=last_batch_at,
                last_batch_status=last_batch_status,
                last_error=last_error,
                punches_today=int(today),
                pending_commands=int(pending),
            )
        )
    return out


def recent_commands(conn: psycopg.Connection, device_sn: str | None = None, limit: int = 10) -> list[tuple]:
    """(id, device, command, queued_at, sent_at, result_at, return_code, result) newest first."""
    return conn.execute(
        """select command_id, device_sn, command, queued_at, sent_at, result_at, return_code, result
             from ops.adms_command where %(sn)s::text is null or device_sn = %(sn)s
            order by command_id desc limit %(limit)s""",
        {"sn": device_sn, "limit": limit},
    ).fetchall()
