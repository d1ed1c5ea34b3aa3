"""The device registry as it stands now: for each device_sn, its row from the newest counted batch
(`ok` and not retracted, see ingest/retraction.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import psycopg

from warehouse.settings import COMMKEY_PREFIX

PULL_PROTOCOLS = ("tcp", "udp")  # read by the hourly pull; `push` devices send to `absensi adms serve`

_CURRENT_DEVICES = """
    select distinct on (d.device_sn)
           d.device_sn, d.name, d.opd_code, d.host, d.port, d.protocol, d.timezone, d.comm_key_ref, d.active,
           d.push_token_ref, d.push_allow
      from raw.device d
      join raw.ingest_batch b on b.batch_id = d.batch_id and b.status = 'ok'
     where not exists (select 1 from raw.batch_retraction r where r.batch_id = d.batch_id)
     order by d.device_sn, d.batch_id desc, d.row_no desc
"""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Device:
    device_sn: str
    name: str
    opd_code: str
    host: str  # '' for a push device registered without one
    port: int  # 0 for a push device registered without one
    protocol: str  # tcp | udp | push
    timezone: str  # IANA; the regency's when the registry leaves it blank
    comm_key_ref: str  # the environment variable holding the comm key (never the key)
    active: bool
    push_token_ref: str = ""  # push only: the environment variable holding its shared token ('' = none)
    push_allow: tuple[Network, ...] = ()  # push only: where it may push from (empty = anywhere)

    @property
    def address(self) -> str:
        if self.protocol == "push":
            return "push (ADMS)"
        return f"{self.host}:{self.port}/{self.protocol}"

    @property
    def is_pulled(self) -> bool:
        return self.protocol in PULL_PROTOCOLS


def _device(row: tuple, default_timezone: str) -> Device:
    sn, name, opd, host, port, protocol, tz, key_ref, active, token_ref, allow = row
    return Device(
        device_sn=sn,
        name=name,
        opd_code=opd,
        host=host or "",
        port=int(port or 0),
        protocol=protocol,
        timezone=tz or default_timezone,
        comm_key_ref=key_ref or f"{COMMKEY_PREFIX}{sn}",
        active=bool(active),
        push_token_ref=token_ref or "",
        push_allow=tuple(ipaddress.ip_network(n, strict=False) for n in (allow or "").split()),
    )


def current_devices(conn: psycopg.Connection, default_timezone: str) -> list[Device]:
    """Every registered device (active or not, any protocol), by serial; a blank timezone is
    `default_timezone` (the regency's)."""
    return [_device(r, default_timezone) for r in conn.execute(_CURRENT_DEVICES).fetchall()]


def active_devices(conn: psycopg.Connection, default_timezone: str) -> list[Device]:
    """The devices the hourly pull reads: current registry rows marked active whose protocol is
    tcp or udp (push devices send on their own), by serial."""
    return [d for d in current_devices(conn, default_timezone) if d.active and d.is_pulled]


def push_devices(conn: psycopg.Connection, default_timezone: str) -> list[Device]:
    """The devices the ADMS receiver accepts: current registry rows marked active with protocol push."""
    return [d for d in current_devices(conn, default_timezone) if d.active and d.protocol == "push"]


def get_device(conn: psycopg.Connection, device_sn: str, default_timezone: str) -> Device | None:
    """The current registry row of one device (active or not), None when never registered."""
    for device in current_devices(conn, default_timezone):
        if device.device_sn == device_sn:
            return device
    return None


def registered_serials(conn: psycopg.Connection) -> set[str]:
    """Every serial the registry knows (active or not)."""
    return {row[0] for row in conn.execute(_CURRENT_DEVICES).fetchall()}
