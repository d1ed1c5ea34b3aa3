"""Issue 20: the example TPP 40/60 regency (`--regency tpp`, seed regency_profiles `tpp`) end to end:
generated with e-kinerja scores (some months without one) and long sick leave renewed by a second
letter, a real `dbt build` under ABSENSI_REGENCY_PROFILE=tpp, and every daily row and monthly amount
— the parts included — compared with the generator's own implementation of the rules."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pypdf import PdfReader

from absensi.close import MonthNotClosable, require_complete
from dashboards.export import PLAIN_CSV, csv_line, export_deductions, verify_file
from dashboards.report import build_monthly_report
from expectations.runner import run_checks
from tests.conftest import BuiltRegency, built_regency
from tests.dbt.truth import daily_differences, monthly_differences
from warehouse.errors import UserError
from warehouse.settings import DEFAULT_TIMEZONE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tpp_warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegency]:
    with built_regency(
        pg_server_url, tmp_path_factory.mktemp("tpp"), prefix="tpp", unit_tests=False,
        employees=150, devices=3, start="2026-02-02", days=40, seed=20, regency="tpp",
    ) as built:  # fmt: skip
        yield built


def test_tpp_daily_rows_match_the_generator_truth(tpp_warehouse: BuiltRegency) -> None:
    with psycopg.connect(tpp_warehouse.url) as conn:
        assert daily_differences(conn, tpp_warehouse.folder / "truth.csv") == []


def test_tpp_monthly_parts_match_the_generator_truth(tpp_warehouse: BuiltRegency) -> None:
    with psycopg.connect(tpp_warehouse.url) as conn:
        assert monthly_differences(conn, tpp_warehouse.folder / "truth_monthly.csv") == []


def test_tpp_truth_reaches_the_new_rules(tpp_warehouse: BuiltRegency) -> None:
    # Zero differences only mean something if the data reaches the rules' corners.
    with psycopg.connect(tpp_warehouse.url) as conn:
        policies = dict(
            conn.execute(
                "select policy_id, count(*) from marts.fct_allowance_deduction_monthly group by policy_id"
            ).fetchall()
        )
        scored, unscored = conn.execute(
            """select count(*) filter (where performance_score is not null),
                      count(*) filter (where performance_score is null)
                 from marts.fct_allowance_deduction_monthly where policy_id = 'tpp_40_60'"""
        ).fetchone()
        costly_sick_days = conn.execute(
            "select count(*) from marts.fct_attendance_daily where status = 'SAKIT' and deduction_pct > 0"
        ).fetchone()[0]
        incomplete_for_score = conn.execute(
            """select count(*) from marts.fct_allowance_deduction_monthly
                where policy_id = 'tpp_40_60' and days_menunggu = 0 and not is_complete"""
        ).fetchone()[0]
    assert policies.get("tpp_40_60", 0) > 100 and policies.get("tukin_standard", 0) > 0  # honorer
    assert scored > 100 and unscored >= 1
    assert costly_sick_days >= 1  # SAKIT from the 15th consecutive day
    assert incomplete_for_score >= 1  # no score: the productivity part is not known, not guessed


def test_a_month_without_a_score_is_not_closed_and_not_exported(
    tpp_warehouse: BuiltRegency, tmp_path: Path
) -> None:
    with psycopg.connect(tpp_warehouse.url) as conn:
        with pytest.raises(MonthNotClosable, match="belum punya nilai e-kinerja"):
            require_complete(conn, dt.date(2026, 2, 1))
    with pytest.raises(UserError, match="belum punya nilai e-kinerja"):
        export_deductions(dt.date(2026, 2, 1), "csv", tmp_path / "a.csv", tpp_warehouse.url, draft=True)


def test_the_export_shows_the_parts_and_its_checksum_covers_them(
    tpp_warehouse: BuiltRegency, tmp_path: Path
) -> None:
    out = tmp_path / "potongan.csv"
    export_deductions(
        dt.date(2026, 2, 1), "csv", out, tpp_warehouse.url, draft=True, allow_incomplete=True,
        dialect=PLAIN_CSV,
    )  # fmt: skip
    lines = out.read_text(encoding="utf-8").splitlines()
    parsed = list(csv.reader(lines))
    header = next(cells for cells in parsed if cells[:2] == ["jenis_baris", "nip"])
    rows = [dict(zip(header, cells, strict=True)) for cells in parsed if cells[0] == "DATA"]
    tpp = [r for r in rows if r["nilai_kinerja"]]
    assert tpp and all(
        int(r["potongan"])
        == int(r["potongan_disiplin"]) + int(r["tunjangan_pokok"]) - int(r["bagian_disiplin"])
        - int(r["kinerja_dibayar"]) + int(r["potongan_sanksi"])
        for r in rows
    )  # fmt: skip
    assert any(r["status_data"] == "BELUM LENGKAP" and not r["nilai_kinerja"] for r in rows)
    assert verify_file(out)[0]
    # a changed part (the score) changes the checksum: the new columns are covered
    score_at = header.index("nilai_kinerja")

    def tamper(line: str) -> str:
        cells = next(csv.reader([line]))
        cells[score_at] = "99.99" if cells[score_at] != "99.99" else "99.98"
        return csv_line(cells).rstrip("\n")

    first = next(i for i, line in enumerate(lines) if line.startswith(f"DATA,{tpp[0]['nip']},"))
    tampered = [tamper(line) if i == first else line for i, line in enumerate(lines)]
    (tmp_path / "tampered.csv").write_text("\n".join(tampered) + "\n", encoding="utf-8")
    assert not verify_file(tmp_path / "tampered.csv")[0]


def test_the_marts_gate_passes_the_tpp_months(tpp_warehouse: BuiltRegency) -> None:
    # the rounding check knows the parts: the percent cuts the discipline part, the deduction sums them
    run = run_checks(
        tpp_warehouse.url,
        dt.date(2026, 2, 1),
        timezone=DEFAULT_TIMEZONE,
        window=(dt.date(2026, 2, 2), dt.date(2026, 3, 13)),
        suites=("marts",),
        store=False,
    )
    failed = [o.expectation for o in run.outcomes if not o.success]
    assert "monthly_deduction_rounded_half_up" in {o.expectation for o in run.outcomes}
    assert not [f for f in failed if f.startswith("monthly_")], failed


def test_the_report_shows_the_parts_for_a_split_policy(tpp_warehouse: BuiltRegency, tmp_path: Path) -> None:
    out = build_monthly_report(
        dt.date(2026, 2, 1), tmp_path / "laporan.pdf", tpp_warehouse.url, DEFAULT_TIMEZONE
    )
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(out).pages).split())
    assert "dari kehadiran (bagian disiplin)" in text
    assert "bagian kinerja tidak dibayar (nilai e-kinerja)" in text
    assert "pegawai tanpa nilai e-kinerja" in text
