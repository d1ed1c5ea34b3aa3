"""Issue 14 in the outputs, on real PostgreSQL and a real dbt build: a rostered night shift (MALAM on
Friday 9 October 2026, punches 20:55 and 07:02 the next morning) and a rostered Saturday morning shift
without punches reach the e-kinerja export (shift code and name, the calendar dates of the check-in and
the next-day check-out) and the monthly PDF's "Dinas shift" section (one row per shift type)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

MONTH = date(2026, 10, 1)
NIGHT = date(2026, 10, 9)  # a Friday: the night runs into Saturday 10 October
SATURDAY = date(2026, 10, 17)  # a rostered PAGI without punches: TK
OUTSIDE = "2026-10-10 19:00:00"  # an unrostered Saturday evening: in no window, quarantined
OLD_COLUMNS = [
    "nip", "tanggal", "kode_opd", "status", "jam_masuk", "jam_pulang", "menit_terlambat",
    "menit_pulang_cepat", "tingkat_tl", "tingkat_psw", "persen_potongan", "keterangan",
]  # fmt: skip


@dataclass
class ShiftWarehouse:
    url: str
    nip: str


@pytest.fixture(scope="module")
def shift_warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShiftWarehouse]:
    from absensi.transform import run_build
    from ingest.folder import load_generated_regency
    from ingest.generator import generate
    from ingest.reference import load_reference_file
    from ingest.usb import import_attlog
    from tests.conftest import create_database, drop_database, resolved_settings
    from warehouse.migrate import migrate

    folder = tmp_path_factory.mktemp("shift_regency")
    generate(folder / "regency", employees=30, devices=2, start="2026-10-01", days=31, seed=14)
    url = create_database(pg_server_url, prefix="shift")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        load_generated_regency(conn, folder / "regency")
        # an employee with an any-device PIN and no leave in October, on the device of her OPD
        row = conn.execute(
            """select e.nip, p.device_pin, d.device_sn
                 from raw.employee e
                 join raw.employee_pin p on p.nip = e.nip and p.device_sn is null
                 join raw.device d on d.opd_code = e.opd_code
                where e.aktif_sampai is null and e.aktif_mulai <= '2026-10-01'
                  and not exists (select 1 from raw.leave l where l.nip = e.nip)
                order by e.nip, d.device_sn limit 1"""
        ).fetchone()
        assert row is not None
        nip, pin, sn = row
        roster = folder / "roster.csv"
        roster.write_text(
            f"nip,tanggal,shift_code\n{nip},{NIGHT},MALAM\n{nip},{SATURDAY},PAGI\n", encoding="utf-8"
        )
        load_reference_file(conn, "roster", roster)
        attlog = folder / "usb" / f"{sn}_attlog.dat"
        attlog.parent.mkdir()
        attlog.write_text(
            "".join(
                f"{pin:>9}\t{m}\t1\t0\t0\t0\n"
                for m in ("2026-10-09 20:55:00", "2026-10-10 07:02:00", OUTSIDE)
            ),
            encoding="utf-8",
        )
        import_attlog(conn, attlog, sn)
    window = {"attendance_start": "2026-10-01", "attendance_end": "2026-10-31"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ABSENSI_DATABASE_URL", url)
        run_build(url, resolved_settings(), vars=window, full_refresh=True, unit_tests=False)
    yield ShiftWarehouse(url, nip)
    drop_database(pg_server_url, url)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_ekinerja_rows_carry_the_shift_and_the_dates_of_the_punches(shift_warehouse, tmp_path, fmt):
    from dashboards.export import EKINERJA_COLUMNS, export_ekinerja

    out = tmp_path / f"ekinerja.{fmt}"
    result = export_ekinerja(MONTH, fmt, out, shift_warehouse.url)
    if fmt == "csv":
        with out.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            records = list(reader)
            header = reader.fieldnames
    else:
        payload = json.loads(out.read_text(encoding="utf-8"))
        records = payload["kehadiran"]
        header = list(records[0])
    # the earlier columns keep their order; the shift columns come last
    assert (
        header == EKINERJA_COLUMNS == [*OLD_COLUMNS, "kode_shift", "shift", "tanggal_masuk", "tanggal_pulang"]
    )
    assert result.rows == len(records)
    empty = "" if fmt == "csv" else None
    days = {(r["nip"], r["tanggal"]): r for r in records}
    night = days[(shift_warehouse.nip, NIGHT.isoformat())]
    assert night["status"] == "HADIR"
    assert (night["kode_shift"], night["shift"]) == ("MALAM", "Dinas malam")
    assert (night["jam_masuk"], night["jam_pulang"]) == ("20:55:00", "07:02:00")
    assert (night["tanggal_masuk"], night["tanggal_pulang"]) == ("2026-10-09", "2026-10-10")
    saturday = days[(shift_warehouse.nip, SATURDAY.isoformat())]
    assert (saturday["kode_shift"], saturday["status"]) == ("PAGI", "TK")
    assert (saturday["tanggal_masuk"], saturday["tanggal_pulang"]) == (empty, empty)
    # everyone else works the regular day; a punch's date is the day itself
    others = [r for r in records if r["nip"] != shift_warehouse.nip]
    assert others and {r["kode_shift"] for r in others} == {"REG"}
    assert {r["shift"] for r in others} == {"Hari kerja reguler (jadwal OPD)"}
    assert all(r["tanggal_masuk"] in (empty, r["tanggal"]) for r in others)
    assert all(r["tanggal_pulang"] in (empty, r["tanggal"]) for r in others)


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_report_has_a_dinas_shift_section_per_shift_type(shift_warehouse, tmp_path):
    from dashboards.report import build_monthly_report

    out = build_monthly_report(MONTH, tmp_path / "laporan.pdf", shift_warehouse.url, "Asia/Jakarta")
    text = _text(out)
    assert "Dinas shift Oktober 2026" in text
    section = text[text.index("Dinas shift Oktober 2026") : text.index("Tingkat hukuman disiplin")]
    lines = section.splitlines()
    # Kode, Shift, Jumlah pegawai, Hari dinas, Hadir, TK, Terlambat, Pulang esok hari
    for code, name, figures in (
        ("PAGI", "Dinas pagi 07:00–14:00", ["1", "1", "0", "1", "0", "0"]),
        ("MALAM", "Dinas malam 21:00–07:00", ["1", "1", "1", "0", "0", "1"]),
    ):
        k = lines.index(code)
        assert lines[k + 1 : k + 8] == [name, *figures], section
    assert section.index("PAGI") < section.index("MALAM")  # by the shift's start time
    assert "REG" not in lines and "Tidak ada dinas shift" not in section


def test_dashboards_show_the_rostered_shift_and_the_punch_outside_every_window(shift_warehouse):
    """The daily dashboard's not-punched list names the rostered Saturday's shift; the machine-health
    quarantine count has the punch in no window, and its quarantine view says why."""
    from dashboards.marts import run_card
    from dashboards.spec import load_specs

    cards = {c.key: c for d in load_specs() for c in d.cards}
    with psycopg.connect(shift_warehouse.url, autocommit=True) as conn:
        columns, rows = run_card(conn, cards["belum_absen_tanggal"], {"tanggal": SATURDAY})
        listed = [dict(zip(columns, r, strict=True)) for r in rows]
        assert [(r["nip"], r["shift"], r["status_hari"]) for r in listed] == [
            (shift_warehouse.nip, "Dinas pagi 07:00–14:00", "TK")
        ]  # a Saturday: only the rostered employee works it
        columns, rows = run_card(conn, cards["jumlah_karantina"], {})
        counts = {r[0]: r[1] for r in rows}
        quarantined = conn.execute(
            "select nip, punch_local::text, problem from marts.q_punch_outside_shift"
        ).fetchall()
    assert counts["Di luar jendela shift (catatan)"] == len(quarantined)
    # hers alone (the only one with a roster): the Saturday evening, and any generated off-day punch
    assert (shift_warehouse.nip, OUTSIDE) in {(nip, at) for nip, at, _ in quarantined}
    assert {nip for nip, _, _ in quarantined} == {shift_warehouse.nip}
    assert all("jendela absen" in problem for _, _, problem in quarantined)
