"""`absensi check` as an operator runs it: summary on screen, runs stored, exit code = the gate."""

from __future__ import annotations

import psycopg

from tests.expectations.warehouse import EMPLOYEES


def test_check_cli_clean_then_broken(raw_conn: psycopg.Connection, run_cli, tmp_path) -> None:
    docs = tmp_path / "docs"
    clean = run_cli("check", "--month", "2025-06", "--docs-dir", docs)
    assert clean.exit_code == 0, clean.output
    assert "LAYAK TERBIT" in clean.stdout and "TIDAK LAYAK" not in clean.stdout
    assert (docs / "index.html").is_file()

    nip = EMPLOYEES[1].nip
    raw_conn.execute(f"update marts.fct_allowance_deduction_monthly set net_amount = 0 where nip = '{nip}'")
    broken = run_cli("check", "--month", "2025-06", "--docs-dir", docs)
    assert broken.exit_code == 1, broken.output
    assert "TIDAK LAYAK TERBIT" in broken.stdout
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
    assert "bulan 'Juni' tidak valid" in result.stderr
