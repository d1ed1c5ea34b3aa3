"""Issue 20: the example TPP 40/60 regency (`--regency tpp`, seed regency_profiles `tpp`) end to end:
generated with e-kinerja scores (some months without one) and long sick leave renewed by a second
letter, a real `dbt build` under ABSENSI_REGENCY_PROFILE=tpp, and every daily row and monthly amount
— the parts included — compared with the generator's own implementation of the rules."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import BuiltRegency, built_regency
from tests.dbt.truth import daily_differences, monthly_differences

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
