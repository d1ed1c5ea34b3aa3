"""A generated regency (ingest.generator) served by the simulator and pulled: the warehouse holds
exactly the punches of every device's attlog, whether it came by network or by USB."""

from __future__ import annotations

from ingest.generator import generate
from ingest.pull import pull_devices
from ingest.reference import LOAD_ORDER, load_reference_file
from ingest.simulator import serve_regency
from ingest.usb import import_attlog, read_attlog
from tests.conftest import resolved_settings
from tests.ingest.zk_regency import stored_punches


def test_generated_regency_pulled_equals_its_attlogs_and_usb_adds_nothing(conn, db_url, tmp_path):
    folder = tmp_path / "oku"
    generate(folder, employees=60, devices=4, start="2026-03-02", days=10, seed=5)
    with serve_regency(folder, free_ports=True, comm_keys={}) as sim:
        served = sim.write_devices_csv(folder / "devices.csv", tmp_path / "served.csv")
        for kind in LOAD_ORDER:
            if kind == "kinerja":  # the generator writes no e-kinerja scores (yet)
                continue
            load_reference_file(conn, kind, served if kind == "devices" else folder / f"{kind}.csv")
        results = pull_devices(db_url, resolved_settings(pull_timeout=10))
        serials = list(sim.devices)
    assert [r.device_sn for r in results] == sorted(serials) and all(r.ok for r in results)
    users = conn.execute("select count(*) from raw.device_user").fetchone()[0]
    assert users > 0  # enrolled users come from pins.csv
    for serial in serials:
        expected = sorted(
            (
                (pin, when, v, s, w)
                for pin, when, v, s, w in read_attlog(folder / "attlog" / f"{serial}_attlog.dat")
            ),
            key=lambda r: (r[1], r[0]),
        )
        assert stored_punches(conn, serial) == expected
        # the same device's flash-drive export afterwards adds nothing
        assert import_attlog(conn, folder / "attlog" / f"{serial}_attlog.dat", serial).records_new == 0
