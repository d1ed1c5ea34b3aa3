"""Issue 21 item 4, on a real PostgreSQL and real dbt: the hourly build (`run_build(changed_only=True)`,
what the hourly DAG and a plain `absensi transform` run) rebuilds views and seeds only when their
definition changed since the warehouse's last complete build, and everything when it cannot know.

A definition change is made by editing the manifest the warehouse recorded (what dbt compares the
project files with), so the project files stay as they are: the comparison itself is dbt's."""

from __future__ import annotations

import gzip
import json
from datetime import date

import psycopg
import pytest

from absensi.transform import DEPLOYED_STATE_TABLE, BuildResult, run_build
from ingest.folder import load_generated_regency
from ingest.generator import generate
from tests.conftest import resolved_settings

WINDOW = {"attendance_start": "2026-09-01", "attendance_end": "2026-09-30"}


def _built(result: BuildResult, resource_type: str) -> set[str]:
    return {n.unique_id.split(".")[-1] for n in result.nodes if n.resource_type == resource_type}


def _edit_recorded_manifest(conn, *unique_ids: str) -> None:
    """As if the project's files for these nodes had changed since the last complete build."""
    manifest = json.loads(
        gzip.decompress(conn.execute(f"select manifest_gz from {DEPLOYED_STATE_TABLE}").fetchone()[0])
    )
    for unique_id in unique_ids:
        node = manifest["nodes"][unique_id]
        node["checksum"]["checksum"] = "0" * 64  # what dbt compares for a seed ...
        node["raw_code"] = node.get("raw_code", "") + "\n-- an older version"  # ... and for a model
    conn.execute(
        f"update {DEPLOYED_STATE_TABLE} set manifest_gz = %s", (gzip.compress(json.dumps(manifest).encode()),)
    )


def _hourly(url: str, vars: dict = WINDOW) -> BuildResult:
    return run_build(url, resolved_settings(), vars=vars, unit_tests=False, changed_only=True)


@pytest.mark.slow
def test_the_hourly_build_rebuilds_views_and_seeds_only_when_their_definition_changed(
    db_url, conn, tmp_path, run_cli
):
    folder = tmp_path / "regency"
    generate(folder, employees=12, devices=2, start=date(2026, 9, 1), days=30, seed=3)
    with psycopg.connect(db_url, autocommit=True) as own:
        load_generated_regency(own, folder)

    # 1. A new warehouse: nothing recorded, so the first hourly build builds everything.
    first = _hourly(db_url)
    assert "holidays" in _built(first, "seed") and len(_built(first, "seed")) >= 10
    assert {"stg_raw__employees", "stg_raw__koreksi", "int_punches_matched"} <= _built(first, "model")
    assert conn.execute(f"select count(*) from {DEPLOYED_STATE_TABLE}").fetchone()[0] == 1

    # 2. Nothing changed: no seed, no view over raw or seeds; every table and incremental model, and
    #    the views over the tables (a table rebuild drops them with `cascade`), with their tests.
    steady = _hourly(db_url)
    assert _built(steady, "seed") == set()
    models = _built(steady, "model")
    assert not models & {"stg_raw__employees", "stg_raw__koreksi", "int_punches_matched", "q_unknown_pin"}
    assert {
        "int_attendance_touched",
        "int_attendance_scope",
        "fct_attendance_daily",
        "int_attendance_monthly",
        "int_attendance_days_priced",  # a view over int_attendance_scope (a table)
        "fct_allowance_deduction_monthly",  # a view downstream of one
    } <= models
    tests = {n.unique_id.split(".")[2] for n in steady.nodes if n.resource_type == "test"}
    assert "unique_combination_fct_attendance_daily_nip__work_date" in tests
    assert not {"not_null_policies_policy_id", "not_null_policy_components_share_pct"} & tests  # seeds' tests
    assert len(steady.nodes) < len(first.nodes)

    # 3. A seed edited on disk (the warehouse still holds the old rows): the seed is reloaded, with
    #    what depends on it; the other seeds are not.
    holidays = conn.execute("select count(*) from staging.holidays").fetchone()[0]
    conn.execute("delete from staging.holidays where ctid = (select min(ctid) from staging.holidays)")
    _edit_recorded_manifest(conn, "seed.absensi.holidays")
    seeded = _hourly(db_url)
    assert _built(seeded, "seed") == {"holidays"}
    assert "int_calendar_workdays" in _built(seeded, "model")
    assert conn.execute("select count(*) from staging.holidays").fetchone()[0] == holidays

    # 4. A view's SQL changed: it is rebuilt, and the views downstream of it; other views are not.
    _edit_recorded_manifest(conn, "model.absensi.stg_raw__employees")
    changed = _hourly(db_url)
    models = _built(changed, "model")
    assert {"stg_raw__employees", "int_employee_devices"} <= models
    assert not models & {"stg_raw__koreksi", "int_punches_matched"}
    assert _built(changed, "seed") == set()

    # 5. ... and the build after it is the steady one again (the new manifest was recorded); a plain
    #    `absensi transform` is that hourly build, `--everything` builds every view and seed.
    assert "stg_raw__employees" not in _built(_hourly(db_url), "model")
    plain = run_cli("transform", "--vars", json.dumps(WINDOW))
    assert plain.exit_code == 0 and " 0 seed," in plain.output, plain.output
    everything = run_cli("transform", "--everything", "--vars", json.dumps(WINDOW))
    assert everything.exit_code == 0 and " 0 seed," not in everything.output, everything.output

    # 6. A view dropped by hand: everything is built.
    conn.execute("drop view staging.stg_raw__koreksi cascade")
    rebuilt = _hourly(db_url)
    assert {"stg_raw__koreksi", "stg_raw__employees"} <= _built(rebuilt, "model")
    assert "holidays" in _built(rebuilt, "seed")

    # 7. Other vars than the recorded build's (they are pasted into the views' SQL): everything.
    other = _hourly(db_url, {**WINDOW, "silent_workdays": 7})
    assert "holidays" in _built(other, "seed") and "q_silent_employee" in _built(other, "model")


@pytest.mark.slow
def test_a_selected_build_does_not_replace_the_record_of_the_complete_one(db_url, conn, tmp_path):
    folder = tmp_path / "regency"
    generate(folder, employees=6, devices=1, start=date(2026, 9, 1), days=30, seed=4)
    with psycopg.connect(db_url, autocommit=True) as own:
        load_generated_regency(own, folder)
    run_build(db_url, resolved_settings(), vars=WINDOW, unit_tests=False)
    saved_at = conn.execute(f"select saved_at from {DEPLOYED_STATE_TABLE}").fetchone()[0]
    # --select builds part of the project: what is deployed is still the last complete build
    run_build(db_url, resolved_settings(), vars=WINDOW, select="int_attendance_window", unit_tests=False)
    assert conn.execute(f"select saved_at from {DEPLOYED_STATE_TABLE}").fetchone()[0] == saved_at
