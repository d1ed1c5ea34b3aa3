"""The simulator against a client that is not pyzk: node-zklib (npm, github.com/caobo171/node-zklib),
an independent JavaScript implementation, run by Node.js over real loopback sockets.

node-zklib reads the way its forks do: it pipelines every chunk request at once and handles one ZK
packet per TCP segment it receives, so it only works with a device that sends PREPARE_DATA, DATA and
ACK_OK as separate segments, spaced by the device's own processing time (the `write_gap` knob; a
real device is slower than Node's event loop), and that answers one UDP request at a time.

`make setup` installs it (`npm ci` in tests/ingest/node_clients); without Node.js or without that
install (the npm registry unreachable) these tests are skipped, saying so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ingest.simulator import serve_regency
from tests.ingest.zk_regency import make_records, write_regency

CLIENTS = Path(__file__).parent / "node_clients"
SCRIPT = CLIENTS / "read_device.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (CLIENTS / "node_modules" / "node-zklib").is_dir(),
    reason="node-zklib is not installed: `make setup` runs `npm ci` in tests/ingest/node_clients "
    "(needs Node.js and the npm registry)",
)


def _read(sim, serial: str, protocol: str) -> dict:
    host, port = sim.address(serial)
    done = subprocess.run(
        [str(NODE), str(SCRIPT), "node-zklib", protocol, host, str(port), "5000"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=CLIENTS,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("count", [300, 20_000], ids=["small", "20k"])
@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_node_zklib_reads_every_record_and_user(tmp_path, protocol, count):
    records = make_records(count, seed=count)
    folder = write_regency(tmp_path / "r", {"NZ1": records})
    (folder / "pins.csv").write_text("nip,device_pin,device_sn\nx,1001,\ny,1002,\n", encoding="utf-8")
    # node-zklib decodes 40-byte records and 72-byte users over TCP, 16-byte and 28-byte over UDP.
    formats = (
        {"att_format": 40, "user_format": 72} if protocol == "tcp" else {"att_format": 16, "user_format": 28}
    )
    with serve_regency(
        folder, faults={"NZ1": "write_gap=0.004"}, free_ports=True, comm_keys={}, overrides={"NZ1": formats}
    ) as sim:
        got = _read(sim, "NZ1", protocol)
    assert got["errors"] == []
    assert got["info"]["logCounts"] == count and got["info"]["userCounts"] == 2
    assert sorted(got["users"]) == ["1001", "1002"]
    assert sorted(map(tuple, got["records"])) == sorted((pin, when) for pin, when, *_ in records)


def test_node_zklib_reads_a_firmware_that_splits_data_into_1008_byte_packets(tmp_path):
    records = make_records(3000, seed=5)
    folder = write_regency(tmp_path / "r", {"NZ2": records})
    with serve_regency(
        folder, faults={"NZ2": "write_gap=0.004,split_data"}, free_ports=True, comm_keys={}
    ) as sim:
        got = _read(sim, "NZ2", "tcp")
    assert got["errors"] == []
    assert sorted(map(tuple, got["records"])) == sorted((pin, when) for pin, when, *_ in records)
