"""Issue 13 end to end on real PostgreSQL and real dbt: what the warehouse does not know is MENUNGGU,
never TK, and the close refuses to freeze it.

One October regency of four devices; the last one went offline on 29 October (its file was copied off
it at 00:00 that day: `attlog/` holds its punches before then, `attlog_later/` its whole log, read
once it is back). The generator's truth of the folder as loaded says which days wait (0 differences);
after the late file is imported the marts equal the truth of the same regency with every device read.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

from absensi.transform import run_build
from dashboards.report import build_monthly_report
from ingest.folder import load_generated_regency
from ingest.generator import generate
from ingest.usb import read_attlog
from tests.conftest import resolved_settings
from tests.dbt.truth import daily_differences, monthly_differences

ARGS = {"employees": 120, "devices": 4, "start": "2026-10-01", "days": 31, "seed": 13}
OFFLINE_FROM = "2026-10-29"
OCTOBER_VARS = {"attendance_start": "2026-10-01", "attendance_end": "2026-10-31"}
LEAVE = ("CUTI", "SAKIT", "IZIN", "DL", "TB")


def _truth(folder: Path) -> list[dict[str, str]]:
    with (folder / "truth.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _october_only(differences: list[str]) -> list[str]:
    """Differences about October days (the marts also hold the days after the data: MENUNGGU)."""
    return [d for d in differences if "'2026-10-" in d]


def _punches_in(folder: Path) -> int:
    return sum(len(set(read_attlog(p))) for p in sorted((folder / "attlog").glob("*_attlog.dat")))


@pytest.mark.slow
def test_an_offline_device_waits_the_close_refuses_and_the_late_file_settles_it(
    db_url, conn, run_cli, tmp_path
):
    folder, complete = tmp_path / "offline", tmp_path / "complete"
    meta = generate(folder, **ARGS, offline_devices=1, offline_from=OFFLINE_FROM)
    generate(complete, **ARGS)
    [offline] = meta["offline_devices"]
    assert json.loads((folder / "regency.json").read_text())["exported_at"][offline] == "2026-10-29 00:00:00"
    load_generated_regency(conn, folder)
    settings = resolved_settings()
    run_build(db_url, settings, vars=OCTOBER_VARS, full_refresh=True)

    # The folder as loaded is exactly its truth, MENUNGGU days included.
    assert daily_differences(conn, folder / "truth.csv") == []
    assert monthly_differences(conn, folder / "truth_monthly.csv") == []
    waiting = [r for r in _truth(folder) if r["status"] == "MENUNGGU"]
    assert len(waiting) > 20 and {r["work_date"] for r in waiting} == {"2026-10-29", "2026-10-30"}
    rows = conn.execute(
        """select status, deduction_pct, tl_tier, psw_tier, pending_devices, reason
             from marts.fct_attendance_daily where status = 'MENUNGGU'"""
    ).fetchall()
    assert len(rows) == len(waiting)
    for _status, pct, tl, psw, pending, reason in rows:
        assert (pct, tl, psw, pending) == (0, 0, 0, offline)
        assert reason.startswith(f"menunggu data mesin {offline} (terakhir terbaca 29-10-2026 00:00)"), reason
    # Nobody depending on the silent device is TK on those days; the month is visibly incomplete.
    assert conn.execute(
        """select count(*) from marts.fct_attendance_daily
            where work_date >= '2026-10-29' and status = 'TK' and opd_code =
                  (select opd_code from staging.stg_raw__devices where device_sn = %s)""",
        (offline,),
    ).fetchone() == (0,)
    incomplete = conn.execute(
        """select count(*), sum(days_menunggu) from marts.fct_allowance_deduction_monthly
            where month = '2026-10-01' and not is_complete"""
    ).fetchone()
    assert incomplete[0] > 0 and incomplete[1] == len(waiting)
    coverage = dict(
        conn.execute(
            "select day::text, covered from marts.mart_device_coverage where device_sn = %s and day >= '2026-10-27'",
            (offline,),
        ).fetchall()
    )
    assert (
        coverage["2026-10-28"] is True and coverage["2026-10-29"] is False and coverage["2026-10-30"] is False
    )
    health = conn.execute(
        "select covered_until::text, uncovered_workdays from marts.mart_device_health where device_sn = %s",
        (offline,),
    ).fetchone()
    assert health == ("2026-10-29 00:00:00", 2)
    opd = conn.execute(
        """select is_complete, days_menunggu, data_completeness < 1 from marts.mart_opd_discipline_monthly
            where month = '2026-10-01' and opd_code = (select opd_code from staging.stg_raw__devices
                                                        where device_sn = %s)""",
        (offline,),
    ).fetchone()
    assert opd[0] is False and opd[1] > 0 and opd[2] is True

    # The draft report states the month's completeness and marks the OPD still waiting.
    report = build_monthly_report(date(2026, 10, 1), tmp_path / "oktober.pdf", db_url, settings.timezone)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(report).pages).split())
    opd_name = conn.execute(
        """select o.nama_opd from staging.stg_raw__opds o join staging.stg_raw__devices d using (opd_code)
            where d.device_sn = %s""",
        (offline,),
    ).fetchone()[0]
    assert "Kelengkapan data: BELUM LENGKAP" in text and f"{len(waiting)} hari kerja" in text
    assert f"{' '.join(opd_name.split())}: data" in text

    # Finance: an incomplete month is refused even as a draft, unless --allow-incomplete; then every
    # affected row is marked.
    draft = tmp_path / "potongan_2026-10.csv"
    refused_export = run_cli("export", "deductions", "--month", "2026-10", "--draft", "--out", draft)
    assert refused_export.exit_code != 0 and not draft.exists()
    assert "belum lengkap" in refused_export.stderr and "--allow-incomplete" in refused_export.stderr
    allowed = run_cli(
        "export", "deductions", "--month", "2026-10", "--draft", "--allow-incomplete", "--out", draft
    )
    assert allowed.exit_code == 0, allowed.stderr
    lines = draft.read_text(encoding="utf-8-sig").splitlines()
    header = next(line.split(";") for line in lines if line.startswith("jenis_baris;nip"))
    data = [dict(zip(header, line.split(";"), strict=False)) for line in lines if line.startswith("DATA;")]
    marked = {r["nip"]: int(r["hari_menunggu"]) for r in data if r["status_data"] == "BELUM LENGKAP"}
    expected = {}
    for r in waiting:
        expected[r["nip"]] = expected.get(r["nip"], 0) + 1
    assert marked == expected
    assert all(
        r["status_data"] == "LENGKAP" and r["hari_menunggu"] == "0" for r in data if r["nip"] not in marked
    )
    assert run_cli("export", "verify", draft).exit_code == 0

    # PP 94/2021 levels only for the types it covers: never HONORER or PPPK.
    types = {
        r[0]
        for r in conn.execute(
            """select e.jenis_pegawai from marts.mart_discipline_sanction s
                 join staging.stg_raw__employees e using (nip)"""
        ).fetchall()
    }
    assert types and types <= {"PNS", "CPNS"}
    assert (
        conn.execute(
            "select count(*) from staging.stg_raw__employees where jenis_pegawai in ('HONORER', 'PPPK')"
        ).fetchone()[0]
        > 0
    )

    # A day in progress (fixed clock, var as_of): at 10:00 on 30 October arrivals show, nobody is cut.
    run_build(db_url, settings, vars={**OCTOBER_VARS, "as_of": "2026-10-30 10:00"})
    friday = conn.execute(
        """select status, count(*), count(first_in), sum(deduction_pct), max(psw_tier),
                  bool_and(reason like 'hari belum selesai%%' or pending_devices is not null)
             from marts.fct_attendance_daily where work_date = '2026-10-30' group by status"""
    ).fetchall()
    by_status = {r[0]: r[1:] for r in friday}
    assert set(by_status) <= {"MENUNGGU", *LEAVE}
    count, arrived, cut, worst_psw, explained = by_status["MENUNGGU"]
    assert count > 50 and arrived > 0 and cut == 0 and worst_psw == 0 and explained
    # The clock back to now: the pending day is re-evaluated (nothing else touched it) and is its truth again.
    run_build(db_url, settings, vars=OCTOBER_VARS)
    assert daily_differences(conn, folder / "truth.csv") == []

    # The close refuses the month: one line per device and day, how to resolve it, nothing locked.
    refused = run_cli("close-month", "2026-10")
    assert refused.exit_code != 0, refused.stdout
    message = refused.stderr
    assert f"mesin {offline}" in message and "29-10-2026" in message and "30-10-2026" in message
    assert "absensi import-usb" in message and "tidak ada yang dikunci" in message
    assert conn.execute("select count(*) from ops.month_lock").fetchone()[0] == 0

    # November has no data at all: every workday of everyone is MENUNGGU (no TK, no sanction), and
    # its close is refused too.
    november = conn.execute(
        """select status, count(*) from marts.fct_attendance_daily
            where work_date >= '2026-11-01' and work_date < '2026-12-01' group by status"""
    ).fetchall()
    assert dict(november).keys() <= {"MENUNGGU", *LEAVE} and dict(november)["MENUNGGU"] > 1000
    assert run_cli("close-month", "2026-11").exit_code != 0

    # The device's file arrives (copied off it once it was back): the days settle, nothing doubled.
    [late] = meta["paths"]["attlog_later"]
    imported = run_cli(
        "import-usb", late, "--device", offline, "--exported-at", meta["exported_at_later"][:16]
    )
    assert imported.exit_code == 0, imported.stderr
    closed = run_cli("close-month", "2026-10")
    assert closed.exit_code == 0, closed.stderr
    assert conn.execute("select month::text from ops.month_lock").fetchall() == [("2026-10-01",)]
    assert _october_only(daily_differences(conn, complete / "truth.csv")) == []
    assert _october_only(monthly_differences(conn, complete / "truth_monthly.csv")) == []
    assert conn.execute("select count(*) from raw.device_punch").fetchone()[0] == _punches_in(complete)
    assert conn.execute(
        "select count(*) from marts.fct_attendance_daily where status = 'MENUNGGU' and work_date < '2026-11-01'"
    ).fetchone() == (0,)


def test_a_bad_export_time_is_refused_in_one_line(db_url, run_cli, tmp_path):
    attlog = tmp_path / "X_attlog.dat"
    attlog.write_text("        1\t2026-10-01 07:30:00\t1\t0\t0\t0\n", encoding="utf-8")
    result = run_cli("import-usb", attlog, "--device", "X", "--exported-at", "01/11/2026 07:00")
    assert result.exit_code != 0
    assert "--exported-at '01/11/2026 07:00' bukan waktu YYYY-MM-DD HH:MM" in result.stderr
    assert "Traceback" not in result.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from raw.ingest_batch").fetchone() == (0,)
