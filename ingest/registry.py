"""The device registry as it stands now: for each device_sn, its row from the newest counted batch
(`ok` and not retracted, see ingest/retraction.py)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from warehouse.settings import COMMKEY_PREFIX

_CURRENT_DEVICES = """
    select distinct on (d.device_sn)
           d.device_sn, d.name, d.opd_code, d.host, d.port, d.protocol, d.timezone, d.comm_key_ref, d.active
      from raw.device d
      join raw.ingest_batch b on b.batch_id = d.batch_id and b.status = 'ok'
     where not exists (select 1 from raw.batch_retraction r where r.batch_id = d.batch_id)
     order by d.device_sn, d.batch_id desc, d.row_no desc
"""


@dataclass(frozen=True)
class Device:
    device_sn: str
    name: str
    opd_code: str
    host: str
    port: int
    protocol: str  # tcp | udp
    timezone: str  # IANA; the regency's when the registry leaves it blank
    comm_key_ref: str  # the environment variable holding the comm key (never the key)
    active: bool

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}/{self.protocol}"


def _device(row: tuple, default_timezone: str) -> Device:
    sn, name, opd, host, port, protocol, tz, key_ref, active = row
    return Device(
        device_sn=sn,
        name=name,
        opd_code=opd,
        host=host,
        port=int(port),
        protocol=protocol,
        timezone=tz or default_timezone,
        comm_key_ref=key_ref or f"{COMMKEY_PREFIX}{sn}",
        active=bool(active),
    )


def current_devices(conn: psycopg.Connection, default_timezone: str) -> list[Device]:
    """Every registered device (active or not), by serial; a blank timezone is `default_timezone`
    (the regency's)."""
    return [_device(r, default_timezone) for r in conn.execute(_CURRENT_DEVICES).fetchall()]


def active_devices(conn: psycopg.Connection, default_timezone: str) -> list[Device]:
    """The devices the hourly pull reads: current registry rows marked active, by serial."""
    return [d for d in current_devices(conn, default_timezone) if d.active]


def get_device(conn: psycopg.Connection, device_sn: str, default_timezone: str) -> Device | None:
    """The current registry row of one device (active or not), None when never registered."""
    for device in current_devices(conn, default_timezone):
        if device.device_sn == device_sn:
            return device
    return None


def registered_serials(conn: psycopg.Connection) -> set[str]:
    """Every serial the registry knows (active or not)."""
    return {row[0] for row in conn.execute(_CURRENT_DEVICES).fetchall()}
