"""The ADMS push protocol ("PUSH SDK", `/iclock/*`) as ZKTeco attendance devices speak it: text in,
text out, no I/O. The receiver (`ingest.adms.app`) and the device simulator (`ingest.simulator.adms`)
both use it, so each protocol fact has one home.

The exchange, as the PUSH SDK documents describe it and open-source servers (s0x90/zkteco-adms,
saifulcoder/adms-server-ZKTeco) meet real devices:

* `GET /iclock/cdata?SN=…&options=all&pushver=…` — the handshake. The server answers the options
  block (`options_reply`): `GET OPTION FROM: <SN>`, the stamps the device resumes its uploads from
  (`ATTLOGStamp`, `OPERLOGStamp`, `ATTPHOTOStamp`; `None` = everything), `ErrorDelay` (seconds to
  wait before resending after an error), `Delay` (seconds between heartbeats), `TransTimes`,
  `TransInterval`, `TransFlag` (what to upload), `TimeZone` (hours from UTC), `Realtime`,
  `Encrypt`, `ServerVer`.
* `POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…` — punches, one per line, tab-separated:
  `PIN, YYYY-MM-DD HH:MM:SS, status, verify, workcode, reserved, reserved`. `Stamp` marks the
  newest record of the upload; the device moves past it only when the answer starts with `OK`.
  `table=OPERLOG` carries `OPLOG …`, `USER PIN=…\tName=…` and biometric lines; `table=USERINFO`
  (an answer to `DATA QUERY USERINFO`) carries `PIN=…\tName=…\tPrivilege=…\tCard=…` lines.
* `GET /iclock/getrequest?SN=…` — the heartbeat; the answer is `OK` or commands, one per line,
  `C:<id>:<command>`. `POST /iclock/devicecmd?SN=…` returns results, `ID=<id>&Return=<code>&CMD=<cmd>`
  (several per body, one per line; INFO's answer adds `key=value` lines).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ingest import zk_protocol as zp
from ingest.raw_loader import punch_copy_lines
from ingest.usb import AttlogRecord, parse_punch_line

SERVER_VERSION = "2.4.1"  # the PUSH protocol version whose options block we answer with
PUSH_FIELDS = ("state", "verify", "work code")  # ADMS: status (punch state) comes before verify
SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")  # the registry's device_sn rule
STAMP_TABLES = ("ATTLOG", "OPERLOG", "ATTPHOTO")
# Tables devices post that carry biometrics or pictures: acknowledged, never stored.
IGNORED_TABLES = ("ATTPHOTO", "BIODATA", "BIOPHOTO", "FINGERTMP", "FACE", "USERPIC", "FVEIN", "ERRORLOG")
USER_TABLES = ("USERINFO", "USER")
# What we ask devices to upload: punches, operation log, users; no photos, no templates.
TRANS_FLAG = "TransData AttLog OpLog EnrollUser ChgUser"
# Commands an operator may queue (ops.adms_command.command) and the line each becomes. Nothing that
# runs arbitrary code on a device (the protocol has `Shell`) or deletes its data is offered.
COMMANDS = {
    "INFO": "INFO",  # the device posts its counters and firmware to /iclock/devicecmd
    "CHECK": "CHECK",  # re-read the server's options and upload anything not yet acknowledged
    "REBOOT": "REBOOT",
    "TIME": "SET OPTIONS DateTime={packed}",  # set the clock to the registry timezone's local time
}
_MAX_PROBLEMS = 20  # bad lines named in a failed batch's error (the count says how many in all)


class PushDataError(ValueError):
    """A post that cannot be stored; `problems` names each bad line ('baris N: …')."""

    def __init__(self, problems: list[str], lines: int):
        self.problems = problems
        self.lines = lines
        shown = problems[:_MAX_PROBLEMS]
        more = f"; dan {len(problems) - len(shown)} baris rusak lagi" if len(problems) > len(shown) else ""
        super().__init__(f"{len(problems)} dari {lines} baris ditolak: " + "; ".join(shown) + more)


@dataclass(frozen=True)
class Stamps:
    attlog: int | None = None
    operlog: int | None = None
    attphoto: int | None = None

    def get(self, table: str) -> int | None:
        return {"ATTLOG": self.attlog, "OPERLOG": self.operlog, "ATTPHOTO": self.attphoto}.get(table)


def timezone_hours(timezone: str, at: datetime) -> str:
    """`TimeZone=` of the options block: the zone's offset from UTC at `at`, in hours."""
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    assert offset is not None
    hours = offset.total_seconds() / 3600
    return str(int(hours)) if hours.is_integer() else f"{hours:g}"


def options_reply(
    serial: str, stamps: Stamps, *, timezone: str, at: datetime, delay: int, error_delay: int
) -> str:
    """The answer to a handshake (`GET /iclock/cdata?SN=…&options=all`)."""

    def stamp(value: int | None) -> str:
        return "None" if value is None else str(value)

    lines = [
        f"GET OPTION FROM: {serial}",
        f"ATTLOGStamp={stamp(stamps.attlog)}",
        f"OPERLOGStamp={stamp(stamps.operlog)}",
        f"ATTPHOTOStamp={stamp(stamps.attphoto)}",
        f"ErrorDelay={error_delay}",
        f"Delay={delay}",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        f"TransFlag={TRANS_FLAG}",
        f"TimeZone={timezone_hours(timezone, at)}",
        "Realtime=1",
        "Encrypt=None",
        f"ServerVer={SERVER_VERSION}",
    ]
    return "\n".join(lines) + "\n"


def parse_options(text: str) -> dict[str, str]:
    """The options block as a device reads it: `Key=Value` lines after `GET OPTION FROM: <SN>`."""
    options: dict[str, str] = {}
    for line in text.replace("\r", "").split("\n"):
        if line.startswith("GET OPTION FROM:"):
            options["SN"] = line.partition(":")[2].strip()
        elif "=" in line:
            key, _, value = line.partition("=")
            options[key.strip()] = value.strip()
    return options


def parse_stamp(value: str | None) -> int | None:
    """A Stamp as devices send it (a non-negative number); anything else is no stamp."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _lines(body: bytes) -> list[tuple[int, bytes]]:
    out = []
    for number, raw in enumerate(body.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if raw.strip():
            out.append((number, raw))
    return out


@dataclass(frozen=True)
class ParsedPunches:
    punch_copy: bytes  # COPY text in raw_loader.PUNCH_COLUMNS order, each (PIN, time) once
    records: int  # lines read, repeats included


def parse_attlog(body: bytes) -> ParsedPunches:
    """Every punch line of an ATTLOG post, or PushDataError naming every bad line (nothing is
    stored from a post with a bad line: the device keeps it and the operator sees why)."""
    records: list[AttlogRecord] = []
    problems: list[str] = []
    lines = _lines(body)
    for number, raw in lines:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"baris {number}: bukan teks UTF-8")
            continue
        problem, record = parse_punch_line(line, PUSH_FIELDS)
        if problem:
            problems.append(f"baris {number}: {problem}")
        else:
            records.append(record)
    if problems:
        raise PushDataError(problems, len(lines))
    return ParsedPunches(punch_copy_lines(records), len(records))


UserRow = tuple[int | None, str, str | None, int | None, str | None]  # uid, pin, name, privilege, card


def _key_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def _user(text: str) -> UserRow | str:
    """A user from `PIN=…\\tName=…\\tPri=…|Privilege=…\\tCard=…`, or the problem."""
    values = _key_values(text)
    pin = values.get("PIN", "")
    if not pin or len(pin) > 24 or " " in pin or not pin.isprintable():
        return f"PIN pengguna {pin[:40]!r} tidak sah"
    raw_privilege = values.get("Privilege", values.get("Pri", ""))
    privilege = int(raw_privilege) if raw_privilege.lstrip("-").isdigit() else None
    return (None, pin, values.get("Name") or None, privilege, values.get("Card") or None)


@dataclass(frozen=True)
class ParsedOperations:
    users: list[UserRow]  # USER lines: enrolments and changes, into raw.device_user
    operations: int  # OPLOG lines (menu operations on the device): counted, not stored
    ignored: int  # biometric and unknown lines: never stored


def parse_operlog(body: bytes, table: str) -> ParsedOperations:
    """An OPERLOG or USERINFO post. Fingerprint/face templates and photos are skipped on purpose
    (the warehouse keeps no biometrics); a USER line without a usable PIN fails the post."""
    users: list[UserRow] = []
    problems: list[str] = []
    operations = ignored = 0
    lines = _lines(body)
    for number, raw in lines:
        line = raw.decode("utf-8", errors="replace")
        head, _, rest = line.partition(" ")
        if table in USER_TABLES and line.startswith("PIN="):
            head, rest = "USER", line
        if head == "USER":
            user = _user(rest)
            if isinstance(user, str):
                problems.append(f"baris {number}: {user}")
            else:
                users.append(user)
        elif head == "OPLOG":
            operations += 1
        else:
            ignored += 1
    if problems:
        raise PushDataError(problems, len(lines))
    return ParsedOperations(users, operations, ignored)


@dataclass
class CommandResult:
    command_id: int
    return_code: int | None = None
    cmd: str = ""
    values: dict[str, str] = field(default_factory=dict)  # INFO's key=value lines (leading ~ dropped)
    text: str = ""  # this result's part of the body, as sent


def parse_command_results(body: str) -> list[CommandResult]:
    """Results posted to /iclock/devicecmd. Devices send `ID=1&Return=0&CMD=INFO` lines (several per
    body) and some send one pair per line; both are read as one stream of key=value pairs where
    each `ID=` starts the next result."""
    results: list[CommandResult] = []
    current: CommandResult | None = None
    for line in body.replace("\r", "").split("\n"):
        for part in line.split("&") if line.startswith("ID=") else [line]:
            key, sep, value = part.partition("=")
            if not sep:
                continue
            key, value = key.strip().lstrip("~"), value.strip()
            upper = key.upper()
            if upper == "ID":
                if not value.isdigit():
                    current = None
                    continue
                current = CommandResult(int(value))
                results.append(current)
            elif current is None:
                continue
            elif upper == "RETURN":
                current.return_code = int(value) if value.lstrip("-").isdigit() else None
            elif upper == "CMD":
                current.cmd = value
            else:
                current.values[key] = value
        if current is not None:
            current.text += line + "\n"
    return results


def command_text(command: str, *, timezone: str, at: datetime) -> str:
    """The line a device receives for a queued command; TIME carries the registry timezone's local
    clock at `at` in ZKTeco's packed form (every month 31 days: 2018-02-22 14:54:54 = 583080894)."""
    template = COMMANDS[command]
    if "{packed}" in template:
        local = at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
        return template.format(packed=zp.encode_time(local))
    return template


def commands_reply(commands: list[tuple[int, str]]) -> str:
    """A heartbeat's answer: `OK`, or one `C:<id>:<command>` line per command."""
    if not commands:
        return "OK"
    return "".join(f"C:{command_id}:{text}\n" for command_id, text in commands)


def parse_commands(text: str) -> list[tuple[int, str]]:
    """The commands in a heartbeat's answer (the device side of commands_reply)."""
    out = []
    for line in text.replace("\r", "").split("\n"):
        if line.startswith("C:"):
            _c, command_id, command = line.split(":", 2)
            if command_id.isdigit():
                out.append((int(command_id), command))
    return out


def result_line(command_id: int, return_code: int, cmd: str, values: Mapping[str, str] | None = None) -> str:
    """One result as a device posts it to /iclock/devicecmd (INFO adds its values, one per line)."""
    extra = "".join(f"{key}={value}\n" for key, value in (values or {}).items())
    return f"ID={command_id}&Return={return_code}&CMD={cmd}\n{extra}"
