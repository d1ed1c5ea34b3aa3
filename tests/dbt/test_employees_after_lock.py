"""Employees loaded after a lock (issue 16 item 7), on a real PostgreSQL and a real dbt build: a new
employee active from a locked month is paid that month as an adjustment in the first open month
(base − his deduction: the base is whole-month), an employee ended retroactively has the locked
months after his end clawed back (what was paid) and his end month recomputed over his days only;
the finance export shows them as PENYESUAIAN lines; a full refresh gives the same adjustments, and
once the adjustment month is locked nothing is paid twice."""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from absensi.close import lock_month
from ingest.folder import load_generated_regency
from ingest.generator import generate
from ingest.reference import load_reference_file

SEPT, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
NEW_FROM = date(2026, 10, 20)  # the new employee's aktif_mulai, inside locked October
ENDED_ON = date(2026, 9, 15)  # the ended employee's new aktif_sampai, inside locked September

ADJUSTMENTS = (
    "select nip, month, corrected_month, locked_deduction_amount, corrected_deduction_amount,"
    " adjustment_amount, reason from marts.fct_allowance_adjustment where not is_locked"
    " order by nip, corrected_month"
)


def _rupiah(base: int, pct: Decimal) -> int:
    return int((Decimal(base) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _csv(path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))


@pytest.mark.slow
def test_new_and_retroactively_ended_employees_become_adjustments(db_url, conn, run_cli, tmp_path):
    folder = tmp_path / "regency"
    generate(folder, employees=24, devices=2, start=SEPT, days=91, seed=5)
    with psycopg.connect(db_url, autocommit=True) as own:
        load_generated_regency(own, folder)
    assert run_cli("transform").exit_code == 0
    assert lock_month(conn, SEPT) and lock_month(conn, OCT)

    with (folder / "employees.csv").open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        employees = list(reader)
    whole = [e for e in employees if not e["aktif_sampai"] and e["aktif_mulai"] <= "2026-09-01"]
    # one paid something for October, whose September deductions after his new end are largest
    # (below the cap): his September changes too
    ended_nip = conn.execute(
        "select d.nip from ops.locked_attendance_daily as d"
        " join ops.locked_deduction_monthly as s on s.nip = d.nip and s.month = d.month"
        " join ops.locked_deduction_monthly as o on o.nip = d.nip and o.month = %s"
        " where d.nip = any(%s) and d.month = %s and o.net_amount > 0 and s.total_pct_uncapped < 100"
        " group by d.nip order by sum(d.deduction_pct) filter (where d.work_date > %s) desc, d.nip limit 1",
        (OCT, [e["nip"] for e in whole], SEPT, ENDED_ON),
    ).fetchone()[0]
    twin = next(e for e in whole if e["nip"] != ended_nip)  # the new employee's OPD and kind
    ended = dict(next(e for e in employees if e["nip"] == ended_nip), aktif_sampai=ENDED_ON.isoformat())
    new_nip = twin["nip"][:-3] + "999"
    assert new_nip not in {e["nip"] for e in employees}
    newbie = dict(twin, nip=new_nip, nama="Pegawai Baru Sesudah Kunci", aktif_mulai=NEW_FROM.isoformat())
    for key in ("nik", "pin"):
        if key in newbie:
            newbie[key] = ""
    late = tmp_path / "employees.csv"
    with late.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows([ended, newbie])

    paid = {
        month: conn.execute(
            "select base_amount, total_pct, deduction_amount, net_amount from ops.locked_deduction_monthly"
            " where nip = %s and month = %s",
            (ended_nip, month),
        ).fetchone()
        for month in (SEPT, OCT)
    }
    locked_before = conn.execute("select * from ops.locked_deduction_monthly order by nip, month").fetchall()
    assert conn.execute(ADJUSTMENTS).fetchall() == []

    load_reference_file(conn, "employees", late)
    assert run_cli("transform").exit_code == 0  # the next hourly run (incremental)
    incremental = conn.execute(ADJUSTMENTS).fetchall()

    # What was expected, from the frozen days and the rules (seeds), not from the models.
    policy_id, tk_pct, cap = conn.execute(
        "select p.policy_id, p.tk_pct, p.monthly_cap_pct from ops.locked_deduction_monthly as l"
        " join staging.policies as p on p.policy_id = l.policy_id where l.nip = %s and l.month = %s",
        (twin["nip"], OCT),
    ).fetchone()
    new_workdays = conn.execute(
        "select count(*) from ops.locked_attendance_daily where nip = %s and work_date between %s and %s",
        (twin["nip"], NEW_FROM, date(2026, 10, 31)),
    ).fetchone()[0]
    new_base = int(newbie["tunjangan_pokok"])
    new_deduction = _rupiah(new_base, min(cap, tk_pct * new_workdays))  # no PIN yet: every day TK
    assert 0 < new_deduction < new_base
    ended_pct = conn.execute(
        "select sum(deduction_pct) from ops.locked_attendance_daily where nip = %s and month = %s"
        " and work_date <= %s",
        (ended_nip, SEPT, ENDED_ON),
    ).fetchone()[0]
    ended_sept = _rupiah(paid[SEPT][0], min(cap, ended_pct)) - paid[SEPT][2]
    assert ended_sept < 0  # his deductions after 15 September no longer count
    expected = sorted(
        [
            (new_nip, NOV, OCT, new_base, new_deduction, -(new_base - new_deduction)),
            (ended_nip, NOV, SEPT, paid[SEPT][2], paid[SEPT][2] + ended_sept, ended_sept),
            (ended_nip, NOV, OCT, paid[OCT][2], paid[OCT][0], paid[OCT][3]),  # claw back what was paid
        ]
    )
    assert [row[:6] for row in incremental] == expected
    reasons = {(row[0], row[2]): row[6] for row in incremental}
    assert reasons[(new_nip, OCT)].startswith("Belum dibayar 10-2026")
    assert reasons[(ended_nip, OCT)].startswith("Tidak aktif lagi pada 10-2026")
    assert reasons[(ended_nip, SEPT)].startswith("Koreksi 09-2026")
    # the paid months never move; the new employee has no row in a locked month
    assert conn.execute("select * from ops.locked_deduction_monthly order by nip, month").fetchall() == (
        locked_before
    )
    months = conn.execute(
        "select month, is_locked from marts.fct_allowance_deduction_monthly where nip = %s", (new_nip,)
    ).fetchall()
    assert months and all(month >= NOV and not is_locked for month, is_locked in months)

    # The finance export of November carries them as PENYESUAIAN lines.
    out = tmp_path / "nov.csv"
    exported = run_cli(
        "export", "deductions", "--month", "2026-11", "--format", "csv", "--out", out, "--draft",
        "--allow-incomplete",
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    lines = [
        (r[1], r[5], int(r[6]), int(r[7]), int(r[8]))
        for r in _csv(out)
        if r[0] == "PENYESUAIAN" and r[1] in (new_nip, ended_nip)
    ]
    assert sorted(lines) == sorted((nip, c.strftime("%Y-%m"), lo, co, a) for nip, _, c, lo, co, a in expected)

    # A full rebuild computes the same adjustments.
    assert run_cli("transform", "--full-refresh").exit_code == 0
    assert conn.execute(ADJUSTMENTS).fetchall() == incremental

    # Once November is locked they are paid: nothing is owed twice.
    assert lock_month(conn, NOV)
    assert run_cli("transform").exit_code == 0
    assert [r for r in conn.execute(ADJUSTMENTS).fetchall() if r[0] in (new_nip, ended_nip)] == []
