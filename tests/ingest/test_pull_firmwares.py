"""The pull against the ways real firmwares answer (the simulator's realism knobs), TCP and UDP.

Each knob is a difference a real device shows (ingest/simulator/device.py `Faults` and
ingest/zk_protocol.py cite the evidence). The pull must read every punch exactly once whatever the
firmware does, or fail its own batch with a reason; an offline UDP device must fail fast.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from ingest.pull import pull_device
from ingest.simulator import serve_regency
from tests.conftest import resolved_settings
from tests.ingest.zk_regency import make_records, register_devices, stored_punches, write_regency

RECORDS = make_records(2000, seed=11)  # 80 KB at 40 bytes: two TCP chunks, five UDP chunks


def _expected(records, *, work_codes=True):
    return sorted(
        [(p, t, v, s, w if work_codes else None) for p, t, v, s, w in records], key=lambda r: (r[1], r[0])
    )


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
@pytest.mark.parametrize(
    "knob",
    [
        "split_data",  # DATA in 1,008-byte packets (pyzk 0.9's own TCP reader times out on these)
        "one_write",  # the whole answer in one TCP write
        "split_data,write_gap=0.001",  # ... in separate, spaced writes
        "direct_only",  # no buffered read: only CMD_ATTLOG_RRQ / CMD_USERTEMP_RRQ
        "direct_only,split_data",
        "empty_first_read",  # 0 records on the session's first query and first read
    ],
)
def test_every_firmware_variant_is_read_exactly_once(conn, db_url, tmp_path, protocol, knob):
    folder = write_regency(tmp_path / "r", {"FW1": RECORDS}, protocols={"FW1": protocol})
    (folder / "pins.csv").write_text("nip,device_pin,device_sn\nx,1001,\ny,1002,\n", encoding="utf-8")
    with serve_regency(folder, faults={"FW1": knob}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        result = pull_device(db_url, "FW1", resolved_settings(pull_timeout=5))
    assert (result.status, result.error, result.records_read, result.records_new) == ("ok", None, 2000, 2000)
    assert stored_punches(conn, "FW1") == _expected(RECORDS)
    users = conn.execute(
        "select device_pin from raw.device_user where device_sn = 'FW1' order by 1"
    ).fetchall()
    assert users == [("1001",), ("1002",)]


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_eight_byte_firmware_is_read_with_the_time_at_byte_4(conn, db_url, tmp_path, protocol):
    folder = write_regency(tmp_path / "r", {"OLD1": RECORDS[:500]}, protocols={"OLD1": protocol})
    overrides = {"OLD1": {"att_format": 8, "user_format": 28}}
    with serve_regency(
        folder, faults={"OLD1": "split_data"}, free_ports=True, comm_keys={}, overrides=overrides
    ) as sim:
        register_devices(conn, sim, folder, tmp_path)
        result = pull_device(db_url, "OLD1", resolved_settings(pull_timeout=5))
    assert result.ok and result.records_new == 500
    assert stored_punches(conn, "OLD1") == _expected(RECORDS[:500], work_codes=False)


def test_clock_reset_mid_log_keeps_every_punch_with_the_device_s_time(conn, db_url, tmp_path):
    # 150 days of punches, twice a day: the battery dies half-way and the clock runs on from
    # 2000-01-01 for 75 more days, past the end of February 2000.
    start = datetime(2026, 1, 1, 7, 30)
    records = [
        (str(1000 + i % 50), f"{start + timedelta(hours=12 * i):%Y-%m-%d %H:%M:%S}", 1, i % 2, 0)
        for i in range(300)
    ]
    folder = write_regency(tmp_path / "r", {"BAT1": records})
    with serve_regency(folder, faults={"BAT1": "clock_reset_mid"}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        served = sim.devices["BAT1"].served_records()
        result = pull_device(db_url, "BAT1", resolved_settings(pull_timeout=5))
    assert result.ok and result.records_new == 300
    stored = stored_punches(conn, "BAT1")
    # The first half as punched, the second half from 2000-01-01 on (stored as the device said: the
    # clock-quarantine in dbt keeps them out of the facts until a technician corrects them).
    reset = sorted(when for _p, when, *_ in stored if when.startswith("2000-"))
    assert len(reset) == 150 and reset[0] == "2000-01-01 00:00:00" and reset[-1] == "2000-03-15 12:00:00"
    assert sorted((p, t, v, s) for p, t, v, s, _w in stored) == sorted(served)


def test_offline_udp_device_fails_fast_with_the_probe(conn, db_url, tmp_path):
    folder = write_regency(tmp_path / "r", {"GONE1": RECORDS[:5]}, protocols={"GONE1": "udp"})
    with serve_regency(folder, faults={"GONE1": "offline"}, free_ports=True, comm_keys={}) as sim:
        register_devices(conn, sim, folder, tmp_path)
        started = time.monotonic()
        result = pull_device(db_url, "GONE1", resolved_settings(pull_timeout=30, udp_probe_timeout=1.0))
        elapsed = time.monotonic() - started
    assert result.status == "failed" and "tidak terjangkau" in (result.error or "")
    assert elapsed < 5  # not the 30-second pull timeout
