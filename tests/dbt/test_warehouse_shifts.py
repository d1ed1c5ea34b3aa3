"""Issue 14 end to end: a regency generated with 20 % of its employees on rosters (rotating
PAGI/SIANG/MALAM with days off, weekend and holiday duty; late, forgetful and offline machines
included), loaded with its roster.csv, a real `dbt build`, and every daily row — its shift, the
check-out after midnight included — and every monthly amount compared with the generator's own
implementation of the attribution by window (ingest/generator/rules.py `day_for_punch`)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import BuiltRegency, built_regency
from tests.dbt.truth import daily_differences, monthly_differences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shift_warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegency]:
    with built_regency(
        pg_server_url, tmp_path_factory.mktemp("shifts"), prefix="shifts", unit_tests=False,
        employees=300, devices=6, start="2025-12-01", days=37, seed=14, corrections=True,
        offline_devices=1, offline_from="2025-12-20", shift_share=0.2,
    ) as built:  # fmt: skip
        yield built


def test_shift_daily_rows_match_the_generator_truth(shift_warehouse: BuiltRegency) -> None:
    with psycopg.connect(shift_warehouse.url) as conn:
        assert daily_differences(conn, shift_warehouse.folder / "truth.csv") == []


def test_shift_monthly_amounts_match_the_generator_truth(shift_warehouse: BuiltRegency) -> None:
    with psycopg.connect(shift_warehouse.url) as conn:
        assert monthly_differences(conn, shift_warehouse.folder / "truth_monthly.csv") == []


def test_shift_truth_reaches_the_corners(shift_warehouse: BuiltRegency) -> None:
    # Zero differences only mean something if the data reaches the corners of the rules (the window
    # crosses the year: Christmas, cuti bersama, New Year, and a night from 31 December into 1 January).
    with psycopg.connect(shift_warehouse.url) as conn:
        (
            nights_next_day_out,
            nights_without_out,
            late_shifts,
            weekend_shifts,
            holiday_shifts,
            waiting_nights,
            shift_employees,
            year_end_night,
        ) = conn.execute(
            """select
                   count(*) filter (where shift_code = 'MALAM' and last_out::date = work_date + 1),
                   count(*) filter (where shift_code = 'MALAM' and status = 'HADIR' and psw_tier = 4),
                   count(*) filter (where shift_code <> 'REG' and tl_tier >= 2),
                   count(*) filter (where shift_code <> 'REG' and status = 'HADIR'
                                    and extract(isodow from work_date) >= 6),
                   count(*) filter (where shift_code <> 'REG' and status = 'HADIR'
                                    and work_date in ('2025-12-25', '2025-12-26', '2026-01-01')),
                   count(*) filter (where shift_code <> 'REG' and status = 'MENUNGGU'),
                   count(distinct nip) filter (where shift_code <> 'REG'),
                   count(*) filter (where shift_code = 'MALAM' and work_date = '2025-12-31'
                                    and last_out::date = '2026-01-01')
                 from marts.fct_attendance_daily"""
        ).fetchone()
        outside = conn.execute("select count(*) from marts.q_punch_outside_shift").fetchone()[0]
    assert nights_next_day_out > 100  # the night's check-out the next morning
    assert nights_without_out >= 5  # tired after the night: straight home (TL/PSW 4 on the night)
    assert late_shifts >= 5
    assert weekend_shifts > 50  # a rostered Saturday or Sunday is a workday
    assert holiday_shifts >= 5  # Christmas, cuti bersama, New Year: a rostered holiday is a workday
    assert waiting_nights >= 1  # a shift on the offline machine is not known yet
    assert 50 <= shift_employees <= 60  # 20 % of 300 (heads, scenarios and corrections excluded)
    assert year_end_night >= 1  # a December night whose check-out is in January belongs to December
    assert outside >= 1  # a punch on a rostered day off is quarantined, never counted
