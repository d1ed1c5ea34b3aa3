"""The dbt project end to end: a generated regency loaded into raw, a real `dbt build`, and every
daily row and monthly deduction compared with the generator's truth; then incrementality, the month
lock and adjustments on the same warehouse (tests run in file order; the later ones change data)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from absensi.close import lock_month
from absensi.transform import run_build
from tests.conftest import BuiltRegency, built_regency, resolved_settings
from tests.dbt.truth import daily_differences, monthly_differences

DESIGN_DAILY_COLUMNS = [
    "nip", "work_date", "opd_code", "policy_id", "schedule_in", "schedule_out", "first_in", "last_out",
    "late_minutes", "early_minutes", "tl_tier", "psw_tier", "status", "deduction_pct", "reason",
    "pending_devices", "shift_code",
]  # fmt: skip
DESIGN_MONTHLY_COLUMNS = [
    "nip", "month", "opd_code", "policy_id", "base_amount", "workdays", "days_hadir", "days_tk",
    "days_leave", "days_menunggu", "total_pct_uncapped", "total_pct", "discipline_amount",
    "discipline_deduction", "performance_amount", "sanction_deduction", "deduction_amount", "net_amount",
    "performance_score", "sanction_cut_pct", "is_pay_stopped", "is_locked", "is_complete",
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegency]:
    """One regency (February with its holidays, the start of Ramadan 2026) built once for the module,
    rule unit tests and data tests included."""
    with built_regency(
        pg_server_url, tmp_path_factory.mktemp("regency"), prefix="dbt",
        employees=250, devices=4, start="2026-02-02", days=31, seed=11, corrections=True,
    ) as built:  # fmt: skip
        yield built


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _daily_rows(url: str) -> dict[tuple[str, dt.date], tuple]:
    rows = _query(url, f"select {', '.join(DESIGN_DAILY_COLUMNS)} from marts.fct_attendance_daily")
    return {(r[0], r[1]): r for r in rows}


def test_every_daily_row_matches_the_generator_truth(warehouse: BuiltRegency) -> None:
    with psycopg.connect(warehouse.url) as conn:
        differences = daily_differences(conn, warehouse.folder / "truth.csv")
    assert differences == []
    n_truth = sum(1 for _ in (warehouse.folder / "truth.csv").open()) - 1
    assert _query(warehouse.url, "select count(*) from marts.fct_attendance_daily")[0][0] == n_truth > 1000


def test_every_monthly_deduction_matches_the_generator_truth(warehouse: BuiltRegency) -> None:
    with psycopg.connect(warehouse.url) as conn:
        differences = monthly_differences(conn, warehouse.folder / "truth_monthly.csv")
    assert differences == []


def test_the_truth_exercises_every_status_and_tier(warehouse: BuiltRegency) -> None:
    # Zero differences only mean something if the data reaches the rules' corners.
    statuses = {r[0] for r in _query(warehouse.url, "select distinct status from marts.fct_attendance_daily")}
    assert {"HADIR", "TK", "CUTI", "SAKIT", "IZIN", "DL"} <= statuses
    tiers = _query(
        warehouse.url,
        "select array_agg(distinct tl_tier order by tl_tier), array_agg(distinct psw_tier order by psw_tier) "
        "from marts.fct_attendance_daily",
    )[0]
    assert tiers == ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])


def test_mart_columns_are_the_design_contract(warehouse: BuiltRegency) -> None:
    def columns(table: str) -> list[str]:
        rows = _query(
            warehouse.url,
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = %s order by ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    assert columns("fct_attendance_daily") == DESIGN_DAILY_COLUMNS
    assert columns("fct_allowance_deduction_monthly") == DESIGN_MONTHLY_COLUMNS
    schemas = {r[0] for r in _query(warehouse.url, "select schema_name from information_schema.schemata")}
    assert {"staging", "intermediate", "marts"} <= schemas
    assert not any(s.startswith("public_") for s in schemas)


def test_monthly_parts_add_up_to_the_deduction(warehouse: BuiltRegency) -> None:
    """Today's policies are one `utuh` component: the discipline part is the whole base and carries the
    whole deduction, no productivity part, no sanction; deduction = the parts, net = base − deduction."""
    rows = _query(
        warehouse.url,
        """select count(*),
                  count(*) filter (where discipline_amount = base_amount
                                     and discipline_deduction = deduction_amount
                                     and performance_amount = 0 and sanction_deduction = 0
                                     and deduction_amount = discipline_deduction
                                         + (base_amount - discipline_amount - performance_amount)
                                         + sanction_deduction
                                     and net_amount = base_amount - deduction_amount),
                  count(*) filter (where deduction_amount > 0)
           from marts.fct_allowance_deduction_monthly where not is_locked""",
    )
    total, consistent, deducted = rows[0]
    assert total > 200 and deducted > 0
    assert consistent == total


def test_finance_reads_only_the_allowance_marts(warehouse: BuiltRegency) -> None:
    def can(role: str, table: str) -> bool:
        return _query(warehouse.url, "select has_table_privilege(%s, %s, 'select')", (role, table))[0][0]

    assert can("absensi_finance", "marts.fct_allowance_deduction_monthly")
    assert can("absensi_finance", "marts.fct_allowance_adjustment")
    assert not can("absensi_finance", "marts.fct_attendance_daily")
    assert not can("absensi_finance", "marts.mart_opd_discipline_monthly")
    for role in ("absensi_analyst", "absensi_metabase"):
        assert can(role, "marts.fct_attendance_daily")
        assert can(role, "marts.mart_device_health")


def test_reason_explains_status_and_percent(warehouse: BuiltRegency) -> None:
    rows = _query(
        warehouse.url,
        "select status, tl_tier, psw_tier, late_minutes, deduction_pct, reason from marts.fct_attendance_daily",
    )
    seen_tl = seen_koreksi = False
    for status, tl, _psw, late, pct, full_reason in rows:
        # an approved correction (issue 15) follows the day's own explanation: "; koreksi LUPA_PULANG …"
        reason, _, applied = full_reason.partition("; koreksi ")
        corrected_starts = ("WFH: ", "WFA: ", "absen manual: ", "tidak ada absen masuk, diizinkan")
        assert (
            reason.startswith(status if status != "HADIR" else ("TL" if tl else "masuk"))
            or (status == "HADIR" and reason.startswith("TL4"))
            or (status == "HADIR" and applied and reason.startswith(corrected_starts))
        ), full_reason
        assert reason.endswith(f"potongan {pct:.2f}%".replace(".", ",")), full_reason
        if applied:
            assert re.search(r"\(surat [^,]+, disetujui .+ \d\d-\d\d-\d{4}\)$", applied), full_reason
            seen_koreksi = True
        if status == "HADIR" and 1 <= tl <= 3:
            assert re.match(rf"TL{tl}: masuk \d\d:\d\d, {late} menit terlambat", reason), full_reason
            seen_tl = True
    assert seen_tl and seen_koreksi


def test_quarantine_views_hold_what_was_not_counted(warehouse: BuiltRegency) -> None:
    unknown = _query(warehouse.url, "select sum(punches) from marts.q_unknown_pin")[0][0]
    assert unknown and unknown > 0
    clocks = _query(warehouse.url, "select min(punch_local), count(*) from marts.q_impossible_clock")[0]
    assert clocks[1] > 0 and clocks[0] < dt.datetime(2015, 1, 1)  # the generator's battery reset (2000)
    # The quarantined punches never reach the facts.
    leaked = _query(
        warehouse.url,
        "select count(*) from marts.fct_attendance_daily where first_in < '2015-01-01' or last_out < '2015-01-01'",
    )[0][0]
    assert leaked == 0
    # The generator enrols a few people under an extra device-specific PIN besides their every-device PIN.
    multi = _query(warehouse.url, "select min(pin_count), count(*) from marts.q_multi_pin")[0]
    assert multi[1] > 0 and multi[0] >= 2
    silent = _query(warehouse.url, "select coalesce(min(silent_workdays), 5) from marts.q_silent_employee")
    assert silent[0][0] >= 5
    health = _query(warehouse.url, "select count(*), count(last_success_at) from marts.mart_device_health")[0]
    assert health[0] == health[1] == 4


def test_sanction_levels_follow_cumulative_tk_days(warehouse: BuiltRegency) -> None:
    rows = _query(warehouse.url, "select tk_days, sanction_level from marts.mart_discipline_sanction")
    assert rows
    expected = [
        (0, 2, 0), (3, 3, 1), (4, 6, 2), (7, 10, 3), (11, 13, 4), (14, 16, 5), (17, 20, 6),
        (21, 24, 7), (25, 27, 8), (28, 10_000, 9),
    ]  # fmt: skip
    for tk_days, level in rows:
        assert any(lo <= tk_days <= hi and level == lv for lo, hi, lv in expected), (tk_days, level)


# ---- the tests below change the warehouse (file order matters) ----


def _known_pin(url: str, nip: str) -> tuple[str, str]:
    """(device_sn, device_pin) a punch of `nip` can carry."""
    row = _query(
        url,
        "select coalesce(p.device_sn, d.device_sn), p.device_pin from staging.stg_raw__employee_pins p "
        "cross join lateral (select device_sn from staging.stg_raw__devices order by device_sn limit 1) d "
        "where p.nip = %s order by p.device_sn nulls last limit 1",
        (nip,),
    )
    return row[0]


def test_an_hour_of_punches_recomputes_only_the_days_it_touches(
    warehouse: BuiltRegency, tmp_path: Path
) -> None:
    from ingest.usb import import_attlog

    url = warehouse.url
    before = _daily_rows(url)
    xmin_before = dict(
        ((r[0], r[1]), r[2])
        for r in _query(url, "select nip, work_date, xmin::text from marts.fct_attendance_daily")
    )
    # A device backlog: one hour (10:00-10:59) of an early-month day, for three people marked TK.
    day = min(d for (_, d), row in before.items() if row[12] == "TK" and d.day >= 5)
    absent = sorted(nip for (nip, d), row in before.items() if d == day and row[12] == "TK")[:3]
    lines_by_device: dict[str, list[str]] = {}
    for i, nip in enumerate(absent):
        device_sn, pin = _known_pin(url, nip)
        lines_by_device.setdefault(device_sn, []).append(f"{pin:>9}\t{day} 10:{10 + i:02d}:05\t1\t0\t0\t0\n")
    with psycopg.connect(url, autocommit=True) as conn:
        for device_sn, lines in lines_by_device.items():
            path = tmp_path / f"{device_sn}_attlog.dat"
            path.write_text("".join(lines), encoding="utf-8")
            assert import_attlog(conn, path, device_sn).records_new == len(lines)

    runs_sql = "select * from intermediate.int_discipline_tk_runs order by nip, run_start"
    runs_before = _query(url, runs_sql)
    run_build(url, resolved_settings(), vars={**warehouse.vars, "late_commit_minutes": 0}, unit_tests=False)
    # the TK day that became present ends its run: each of the three has no run over that day now
    runs_after = _query(url, runs_sql)
    assert any(r[0] in absent and r[1] <= day <= r[2] for r in runs_before)
    assert not any(r[0] in absent and r[1] <= day <= r[2] for r in runs_after)

    touched = _query(
        url, "select touched_by, date_from, date_to, nip from intermediate.int_attendance_touched"
    )
    assert ("punches", day, day, None) in touched
    assert {t[0] for t in touched} <= {"punches", "lookback", "new_days"}
    end = dt.date.fromisoformat(str(warehouse.vars["attendance_end"]))
    recomputable = {day} | {d for kind, lo, hi, _ in touched if kind != "punches" for d in _dates(lo, hi)}
    assert all(d >= end - dt.timedelta(days=7) for d in recomputable - {day})

    after = _daily_rows(url)
    xmin_after = dict(
        ((r[0], r[1]), r[2])
        for r in _query(url, "select nip, work_date, xmin::text from marts.fct_attendance_daily")
    )
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {(nip, day) for nip in absent}
    for nip in absent:
        row = after[(nip, day)]
        assert row[12] == "HADIR" and row[10] == 4 and row[11] == 4  # 10:xx lone punch: late >= 91, no out
    # Rows of untouched days were not even rewritten (same row version): history is not recomputed.
    rewritten = {k for k in xmin_after if xmin_before.get(k) != xmin_after[k]}
    assert rewritten and {d for _, d in rewritten} <= recomputable
    monthly = _query(
        url,
        "select days_tk, days_hadir from marts.fct_allowance_deduction_monthly where nip = %s and month = %s",
        (absent[0], day.replace(day=1)),
    )[0]
    assert monthly[0] + monthly[1] > 0

    # An incremental result equals a full rebuild.
    incremental_daily = _daily_rows(url)
    incremental_monthly = _query(
        url, "select * from marts.fct_allowance_deduction_monthly order by nip, month"
    )
    sanction_sql = "select * from marts.mart_discipline_sanction order by nip, year"
    incremental_sanction = _query(url, sanction_sql)
    run_build(url, resolved_settings(), vars=warehouse.vars, full_refresh=True, unit_tests=False)
    assert _daily_rows(url) == incremental_daily
    assert _query(url, "select * from marts.fct_allowance_deduction_monthly order by nip, month") == (
        incremental_monthly
    )
    # issue 21: the runs of consecutive TK days, recomputed only after each employee's last break
    assert _query(url, runs_sql) == runs_after
    assert _query(url, sanction_sql) == incremental_sanction


def _dates(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]


def test_a_locked_month_never_changes_and_corrections_become_adjustments(
    warehouse: BuiltRegency, tmp_path: Path
) -> None:
    from ingest.reference import load_reference_file

    url = warehouse.url
    february = dt.date(2026, 2, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        assert lock_month(conn, february) is True
        assert lock_month(conn, dt.date(2026, 2, 1)) is False  # idempotent
    locked_daily = {k: v for k, v in _daily_rows(url).items() if k[1] < dt.date(2026, 3, 1)}
    paid = _query(
        url,
        "select nip, deduction_amount, base_amount, total_pct_uncapped, is_locked "
        "from marts.fct_allowance_deduction_monthly where month = %s order by nip",
        (february,),
    )
    assert paid and all(r[4] for r in paid)

    # A sick letter for a February TK day arrives in March.
    nip, day = min(
        (k for k, row in locked_daily.items() if row[12] == "TK"),
        key=lambda k: (k[1], k[0]),
    )
    leave_csv = tmp_path / "leave.csv"
    with leave_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["nip", "jenis", "mulai", "sampai", "nomor_surat"])
        writer.writerow([nip, "SAKIT", day.isoformat(), day.isoformat(), "SKS/0420/III/2026"])
    with psycopg.connect(url, autocommit=True) as conn:
        load_reference_file(conn, "leave", leave_csv)
    run_build(url, resolved_settings(), vars={**warehouse.vars, "late_commit_minutes": 0}, unit_tests=False)

    after = _daily_rows(url)
    assert {k: v for k, v in after.items() if k[1] < dt.date(2026, 3, 1)} == locked_daily
    assert (
        _query(
            url,
            "select nip, deduction_amount, base_amount, total_pct_uncapped, is_locked "
            "from marts.fct_allowance_deduction_monthly where month = %s order by nip",
            (february,),
        )
        == paid
    )
    adjustments = _query(
        url,
        "select nip, month, corrected_month, locked_deduction_amount, corrected_deduction_amount, "
        "adjustment_amount, is_locked, reason from marts.fct_allowance_adjustment",
    )
    paid_row = next(r for r in paid if r[0] == nip)
    base, uncapped = paid_row[2], paid_row[3]
    from decimal import ROUND_HALF_UP, Decimal

    tk_pct = Decimal("5.00")  # tukin_standard, shipped for every employee type
    corrected = int(
        (Decimal(base) * min(Decimal(100), uncapped - tk_pct) / 100).quantize(Decimal(1), ROUND_HALF_UP)
    )
    assert len(adjustments) == 1
    adj = adjustments[0]
    assert adj[:7] == (
        nip,
        dt.date(2026, 3, 1),
        february,
        paid_row[1],
        corrected,
        corrected - paid_row[1],
        False,
    )
    assert adj[5] < 0 and adj[7].startswith("Koreksi 02-2026")

    # The full rebuild keeps the locked month exactly as paid and the adjustment in place.
    run_build(url, resolved_settings(), vars=warehouse.vars, full_refresh=True, unit_tests=False)
    assert {k: v for k, v in _daily_rows(url).items() if k[1] < dt.date(2026, 3, 1)} == locked_daily
    assert _query(url, "select count(*), sum(adjustment_amount) from marts.fct_allowance_adjustment")[0] == (
        1,
        adj[5],
    )

    # Locking March pays the adjustment once: it is frozen there and not carried to April.
    with psycopg.connect(url, autocommit=True) as conn:
        assert lock_month(conn, dt.date(2026, 3, 1)) is True
    run_build(url, resolved_settings(), vars=warehouse.vars, unit_tests=False)
    assert _query(url, "select month, adjustment_amount, is_locked from marts.fct_allowance_adjustment") == [
        (dt.date(2026, 3, 1), adj[5], True)
    ]


def test_cli_transform_reports_a_failing_build_in_one_line(
    warehouse: BuiltRegency, run_cli, monkeypatch
) -> None:
    monkeypatch.setenv("ABSENSI_DATABASE_URL", warehouse.url)
    # A real failure inside dbt (bad vars are refused before dbt runs): the window model reads
    # raw.batch_retraction when it derives its start from the punches; hide that table for a moment.
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        conn.execute("alter table raw.batch_retraction rename to batch_retraction_hidden")
        try:
            bad = run_cli("transform", "--select", "int_attendance_window")
        finally:
            conn.execute("alter table raw.batch_retraction_hidden rename to batch_retraction")
    assert bad.exit_code == 2
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in bad.output, bad.output
    assert "dbt build gagal" in lines[0] and "int_attendance_window" in lines[0]
    assert "batch_retraction" in lines[0]
    malformed = run_cli("transform", "--vars", "[1, 2")
    assert malformed.exit_code == 2 and "--vars" in malformed.stderr
    good = run_cli("transform", "--select", "int_attendance_window", "--vars", json.dumps(warehouse.vars))
    assert good.exit_code == 0, good.output
    assert "dbt build selesai" in good.stdout
