from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.dashboards.metabase_standin import StandinServer

API_KEY = "mb_test_key_123"


@pytest.fixture
def standin() -> Iterator[StandinServer]:
    server = StandinServer(API_KEY).start()
    yield server
    server.stop()


# ---- one real warehouse, built once for every warehouse-backed dashboards test ----------------------
# generated regency -> raw (reference loader + USB attlog import) -> real `dbt build` -> marts.
# August 2026 is locked by the monthly close; September 2026 stays open (draft) and carries one
# adjustment: a sick note for an August TK day loaded after the lock.
LOCKED_MONTH = "2026-08"
OPEN_MONTH = "2026-09"


@dataclass
class Warehouse:
    url: str
    folder: Path


@pytest.fixture(scope="session")
def warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    import psycopg

    from absensi.transform import run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate
    from ingest.reference import load_reference_file
    from tests.conftest import create_database, drop_database, resolved_settings
    from warehouse.migrate import migrate

    folder = tmp_path_factory.mktemp("regency")
    info = generate(folder, employees=60, devices=4, start="2026-08-01", days=61, seed=7, corrections=True)
    url = create_database(pg_server_url, prefix="dash")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_generated_regency(conn, folder)
    window = {"attendance_start": "2026-08-01", "attendance_end": "2026-09-30"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ABSENSI_DATABASE_URL", url)
        run_build(url, resolved_settings(), vars=window, unit_tests=False)  # rule unit tests: tests/dbt
        from absensi.close import lock_month

        with psycopg.connect(url, autocommit=True) as conn:
            lock_month(conn, date(2026, 8, 1))
            # a sick note for a TK day of the paid month arrives late: a correction in September
            nip, day = conn.execute(
                """select d.nip, d.work_date from marts.fct_attendance_daily as d
                   join marts.fct_allowance_deduction_monthly as m on m.nip = d.nip and m.month = '2026-08-01'
                   where d.status = 'TK' and d.work_date < '2026-09-01' and m.total_pct_uncapped < 90
                   order by d.work_date, d.nip limit 1"""
            ).fetchone()
            late = folder / "late_leave.csv"
            late.write_text(
                f"nip,jenis,mulai,sampai,nomor_surat\n{nip},SAKIT,{day},{day},445/9999/DINKES/2026\n"
            )
            load_reference_file(conn, "leave", late)
            # a flash drive of one device imported under another with --force-serial, then retracted
            from ingest.retraction import retract_batch
            from ingest.usb import import_attlog

            source, target = conn.execute("select min(device_sn), max(device_sn) from raw.device").fetchone()
            wrong = folder / "attlog" / f"{source}_attlog.dat"
            copy = tmp_path_factory.mktemp("flashdisk") / wrong.name
            copy.write_text(
                "".join(wrong.read_text(encoding="utf-8").splitlines(True)[:20]), encoding="utf-8"
            )
            batch = import_attlog(conn, copy, target, force_serial=True)
            assert batch.batch_id is not None
            retract_batch(conn, batch.batch_id, f"berkas mesin {source} diimpor sebagai {target}")
        run_build(url, resolved_settings(), vars=window, unit_tests=False)
    assert info  # the generator reports what it wrote
    yield Warehouse(url, folder)
    drop_database(pg_server_url, url)
