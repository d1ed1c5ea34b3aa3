"""The `absensi` command as an operator meets it: usage mistakes and an unreachable database answer
in one Indonesian line with exit code 2; the long commands show their progress, also in a log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import psycopg
import pytest

from ingest.folder import load_generated_regency
from ingest.generator import generate
from tests.dashboards.metabase_fixtures import reader_login  # noqa: F401  (fixture)
from warehouse.db import conninfo_parts
from warehouse.settings import ENV_DATABASE_URL, PROJECT_ROOT


def _one_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert (
        "Traceback" not in result.output and "Usage:" not in result.output and "Error:" not in result.output
    )
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nope"], "perintah 'nope' tidak dikenal; lihat `absensi --help`"),
        (["pull", "--worker", "3"], "opsi --worker tidak dikenal (maksud Anda --workers?)"),
        (
            ["report", "monthly", "--out", "x.pdf"],
            "opsi --month wajib diisi; lihat `absensi report monthly --help`",
        ),
        (["close-month"], "argumen MONTH wajib diisi"),
        (["pull", "--workers", "abc"], "nilai tidak sah untuk --workers: harus bilangan bulat"),
        (["pull", "--workers", "0"], "nilai tidak sah untuk --workers: paling kecil 1"),
        (["db", "up", "extra"], "argumen berlebih: extra"),
        (
            ["export", "deductions", "--month", "2026-08", "--out", "x.csv", "--format"],
            "opsi --format perlu nilai; lihat `absensi export deductions --help`",
        ),
        (["check", "--month"], "opsi --month perlu nilai; lihat `absensi check --help`"),
        (["batch"], "subperintah belum disebut; lihat `absensi batch --help`"),
    ],
)
def test_usage_mistakes_are_one_indonesian_line_exit_2(run_cli, args, words):
    result = run_cli(*args)
    assert result.exit_code == 2
    line = _one_line(result)
    assert line.startswith("galat: ") and words in line


def test_help_stays_indonesian(run_cli):
    result = run_cli("pull", "--help")
    assert result.exit_code == 0
    assert (
        "Tarik catatan absensi dari mesin ZKTeco" in result.stdout
        and "Mesin yang ditarik bersamaan" in result.stdout
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://absensi:s3cret-pw@127.0.0.1:9/absensi",  # nothing listens on the port
        "postgresql://postgres:@/absensi?host=/nonexistent-socket-dir&password=s3cret-pw",
    ],
)
@pytest.mark.parametrize("command", [["transform"], ["close-month", "2026-09"], ["demo"]])
def test_unreachable_database_says_what_to_do_and_never_the_password(run_cli, monkeypatch, url, command):
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    result = run_cli(*command)
    assert result.exit_code == 2
    line = _one_line(result)
    if command != ["demo"]:  # the demo names its first step, then stops there
        assert result.stdout.strip() == ""  # no progress line starts before the error
    assert "server tidak menjawab" in line and "absensi db up" in line and "ABSENSI_DATABASE_URL" in line
    assert "s3cret-pw" not in result.output
    assert (
        "Connection refused" not in line
        and "No such file" not in line
        and "Is the server running" not in line
    )


def test_unknown_host_is_named(run_cli, monkeypatch):
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://absensi:s3cret-pw@gudang.invalid:5432/absensi")
    result = run_cli("check", "--month", "2026-09")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "nama host 'gudang.invalid' tidak dikenal; periksa ABSENSI_DATABASE_URL" in line
    assert "s3cret-pw" not in result.output and "translate" not in line and "resolve" not in line


def test_wrong_password_names_the_login_and_the_fix(run_cli, monkeypatch, reader_login, db_url):  # noqa: F811
    if not reader_login.checks_password:
        pytest.skip("this external server does not check the test role's password")
    parts = conninfo_parts(db_url)
    url = (
        f"postgresql://{reader_login.user}:salah-pw@{reader_login.host}:{reader_login.port}/{parts['dbname']}"
    )
    if reader_login.host.startswith("/"):  # the embedded server listens on a unix socket
        url = f"postgresql://{reader_login.user}:salah-pw@/{parts['dbname']}?host={reader_login.host}&port={reader_login.port}"
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    result = run_cli("transform")
    assert result.exit_code == 2
    line = _one_line(result)
    assert (
        f"login '{reader_login.user}' ditolak karena kata sandinya salah; periksa ABSENSI_DATABASE_URL"
        in line
    )
    assert "salah-pw" not in result.output and "password authentication failed" not in line


def test_check_refuses_a_month_without_its_leading_zero(db_url, run_cli):
    result = run_cli("check", "--month", "2026-1")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "2026-1" in line and "YYYY-MM" in line


def test_transform_progress_shows_in_a_log(db_url):
    """Output to a pipe (a log): rich draws no bar, so the helper prints plain progress lines."""
    env = {**os.environ, ENV_DATABASE_URL: db_url}
    proc = subprocess.run(
        [sys.executable, "-m", "absensi.cli", "transform", "--select", "+int_calendar_workdays"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dbt build … (00:00)" in proc.stdout
    # the total is every node the build runs, its unit tests included (int_calendar_workdays has
    # some); the last node always gets its line, whatever the interval
    done = re.findall(r"^dbt build: (\d+)/(\d+) selesai \(\d\d:\d\d\) — (\S+)$", proc.stdout, re.M)
    assert done and done[-1][0] == done[-1][1], proc.stdout
    summary = re.search(
        r"dbt build selesai dalam [\d.]+ dtk: (\d+) model, (\d+) seed, (\d+) uji", proc.stdout
    )
    assert summary and int(done[-1][1]) == sum(map(int, summary.groups())), proc.stdout
    assert any("int_calendar_workdays" in name for *_, name in done)
    assert "dbt build selesai dalam" in proc.stdout


@pytest.mark.parametrize(
    ("vars", "words"),
    [
        ({"attendance_start": "01/10/2026"}, "attendance_start: '01/10/2026' bukan tanggal YYYY-MM-DD"),
        ({"attendance_end": "2026-02-31"}, "attendance_end: '2026-02-31' bukan tanggal yang ada di kalender"),
        ({"attendance_start": "2026-1-5"}, "attendance_start: '2026-1-5' bukan tanggal YYYY-MM-DD"),
        ({"attendance_start": "2026-W05-1"}, "bukan tanggal YYYY-MM-DD"),
        ({"attendance_start": "２０２６-01-05"}, "bukan tanggal YYYY-MM-DD"),  # full-width digits
        ({"attendance_start": 20260105}, "bukan tanggal YYYY-MM-DD"),
        ({"attendance_start": "0001-01-01"}, "attendance_start: 0001-01-01 di luar rentang 1900-2100"),
        ({"min_plausible_punch": "1 Jan 2015"}, "min_plausible_punch: '1 Jan 2015' bukan tanggal"),
        ({"report_date": "05.01.2026"}, "report_date: '05.01.2026' bukan tanggal"),  # any *_date var
        (
            {"attendance_start": "2026-10-01", "attendance_end": "2026-01-10"},
            "attendance_start 2026-10-01 sesudah attendance_end 2026-01-10",
        ),
        ({"lookback_days": "3; drop table raw.device_punch"}, "lookback_days"),
        # the fixed clock of issue 13
        ({"as_of": "30/10/2026 10:00"}, "as_of: '30/10/2026 10:00' bukan waktu YYYY-MM-DD HH:MM"),
        ({"as_of": "2026-10-30 25:00"}, "as_of: '2026-10-30 25:00' bukan waktu yang ada di kalender"),
        ({"as_of": "2026-10-30 10:00'; drop table raw.device_punch; --"}, "as_of"),
    ],
)
def test_transform_refuses_a_bad_date_var_before_dbt_runs(db_url, run_cli, vars, words):
    """A date that is not ISO YYYY-MM-DD, not in the calendar, or a window that ends before it
    starts: one Indonesian line, exit 2, and dbt never ran (no window table was built)."""
    result = run_cli("transform", "--select", "int_attendance_window", "--vars", json.dumps(vars))
    assert result.exit_code == 2, result.output
    line = _one_line(result)
    assert line.startswith("galat: --vars") and words in line, line
    with psycopg.connect(db_url) as conn:
        built = conn.execute("select to_regclass('intermediate.int_attendance_window')").fetchone()
    assert built == (None,)


def test_transform_accepts_an_iso_window_and_a_yaml_date(db_url, run_cli):
    result = run_cli(
        "transform",
        "--select",
        "int_attendance_window",
        "--vars",
        "{attendance_start: 2026-10-01, attendance_end: '2026-10-31'}",
    )
    assert result.exit_code == 0, result.output
    with psycopg.connect(db_url) as conn:
        window = conn.execute(
            "select window_start, window_end from intermediate.int_attendance_window"
        ).fetchone()
    assert window == (date(2026, 10, 1), date(2026, 10, 31))


def test_transform_select_matching_nothing_fails(db_url, run_cli):
    result = run_cli("transform", "--select", "stg_raw__no_such_model")
    assert result.exit_code == 2, result.output
    line = _one_line(result)
    assert "--select stg_raw__no_such_model tidak cocok dengan node dbt mana pun" in line
    assert "dbt build selesai" not in result.output


@pytest.mark.slow
def test_close_month_shows_each_step(db_url, run_cli, tmp_path, monkeypatch):
    """A whole past month, closed by hand: every step of the close announces itself."""
    folder = tmp_path / "regency"
    generate(folder, employees=20, devices=2, start=date(2026, 9, 1), days=30, seed=3)
    with psycopg.connect(db_url, autocommit=True) as conn:
        load_generated_regency(conn, folder)
    monkeypatch.setenv("ABSENSI_OUTPUT", str(tmp_path / "out"))
    result = run_cli("close-month", "2026-09")
    assert result.exit_code == 0, result.output
    starts = [line.split(" … (")[0] for line in result.stdout.splitlines() if " … (" in line]
    assert starts == [
        "1/4 build penuh (dbt)",
        "2/4 gerbang mutu",
        "3/4 kunci bulan",
        "4/4 laporan dan ekspor",
    ]
    assert "Bulan 2026-09: gerbang mutu lolos, dikunci sekarang." in result.stdout
