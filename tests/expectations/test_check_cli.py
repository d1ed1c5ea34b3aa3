"""`absensi check` as an operator runs it: summary on screen, runs stored, exit code = the gate."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import psycopg
import pytest

from tests.expectations.warehouse import EMPLOYEES
from warehouse.settings import DEFAULT_TIMEZONE as TZ


def test_check_cli_clean_then_broken(raw_conn: psycopg.Connection, run_cli, tmp_path) -> None:
    docs = tmp_path / "docs"
    clean = run_cli("check", "--month", "2025-06", "--docs-dir", docs)
    assert clean.exit_code == 0, clean.output
    assert "LULUS" in clean.stdout and "BLOKIR" not in clean.stdout
    assert (docs / "index.html").is_file()

    nip = EMPLOYEES[1].nip
    raw_conn.execute(f"update marts.fct_allowance_deduction_monthly set net_amount = 0 where nip = '{nip}'")
    broken = run_cli("check", "--month", "2025-06", "--docs-dir", docs)
    assert broken.exit_code == 1, broken.output
    assert "BLOKIR" in broken.stdout
    assert "monthly_net_is_base_minus_deduction" in broken.stdout
    assert f"nip={nip}" in broken.stdout

    runs = raw_conn.execute("select publishable from quality.run order by started_at").fetchall()
    assert runs == [(True,), (False,)]
    failing = raw_conn.execute(
        "select failing_rows -> 0 ->> 'nip' from quality.result where not success and expectation = %s",
        ("monthly_net_is_base_minus_deduction",),
    ).fetchone()
    assert failing == (nip,)


def test_check_cli_rejects_bad_month(db_url: str, run_cli) -> None:
    result = run_cli("check", "--month", "Juni")
    assert result.exit_code == 2
    assert "bulan tidak sah 'Juni'" in result.stderr  # one month parser, one message (warehouse.months)


def test_stored_run_reads_back_for_the_gate(raw_conn: psycopg.Connection, db_url: str) -> None:
    from expectations.gate import decide
    from expectations.runner import run_checks
    from expectations.store import latest_run

    nip = EMPLOYEES[0].nip
    raw_conn.execute(f"update marts.fct_attendance_daily set status = 'ALPA' where nip = '{nip}'")
    run = run_checks(db_url, dt.date(2025, 6, 1), timezone=TZ)
    stored = latest_run(raw_conn, dt.date(2025, 6, 1))
    assert stored is not None and stored.run_id == run.run_id
    assert decide(stored) == decide(run)
    assert any(f"nip={nip}" in r and "daily_status_in_set" in r for r in decide(stored).reasons)
    assert latest_run(raw_conn, dt.date(2025, 7, 1)) is None


def test_unmigrated_database_is_a_one_line_error(empty_db_url: str) -> None:
    from expectations.runner import run_checks
    from warehouse.errors import UserError

    with pytest.raises(UserError, match="absensi db migrate"):
        run_checks(empty_db_url, None, timezone=TZ)


def test_cli_import_does_not_load_great_expectations() -> None:
    # GX takes seconds to import: every other command must stay fast.
    probe = "import sys, absensi.cli; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_refuses_a_schema_that_is_not_an_identifier(db_url: str, run_cli) -> None:
    result = run_cli("check", "--marts-schema", "marts; drop table raw.device")
    assert result.exit_code == 2
    assert "skema mart" in result.stderr and "tidak sah" in result.stderr
