"""The DAG folder parses, and every DAG carries what operations rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from absensi.orchestration import airflow_local, dag_settings
from warehouse.settings import PROJECT_ROOT

EXPECTED_DAGS = {"attendance_hourly", "reference_daily", "monthly_close"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))


def test_dag_folder_is_the_repository_dags_folder():
    assert airflow_local.DAGS_FOLDER == PROJECT_ROOT / "dags"
    assert os.environ["AIRFLOW__CORE__DAGS_FOLDER"] == str(PROJECT_ROOT / "dags")


def test_dagbag_has_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_every_dag_has_tags_retries_owner_and_docs(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags and "absensi" in dag.tags
    assert dag.default_args["retries"] >= 1
    assert dag.default_args["owner"] == dag_settings.OWNER
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.doc_md and dag_id in dag.doc_md
    for task in dag.tasks:
        assert task.owner == dag_settings.OWNER, task.task_id


def test_schedules_run_in_the_regency_timezone(dagbag):
    tz = dag_settings.timezone_name()
    hourly = dagbag.dags["attendance_hourly"].timetable
    close = dagbag.dags["monthly_close"].timetable
    daily = dagbag.dags["reference_daily"].timetable
    assert (hourly.expression, str(hourly.timezone)) == ("0 * * * *", tz)
    assert (close.expression, str(close.timezone)) == ("0 6 1 * *", tz)
    assert (daily.expression, str(daily.timezone)) == ("0 5 * * *", tz)


def test_hourly_pulls_each_device_as_a_mapped_task_in_a_pool(dagbag):
    from airflow.sdk import TriggerRule

    dag = dagbag.dags["attendance_hourly"]
    pull = dag.get_task("pull_device")
    assert getattr(pull, "_is_mapped", False) or type(pull).__name__ == "MappedOperator"
    assert pull.pool == dag_settings.DEVICE_POOL
    assert pull.retries == 0  # the next hourly run is the retry
    transform = dag.get_task("transform")
    assert transform.trigger_rule == TriggerRule.ALL_DONE_MIN_ONE_SUCCESS
    assert transform.upstream_task_ids == {"pull_device"}
    assert dag.get_task("quality_gate").upstream_task_ids == {"transform"}
    assert dag.get_task("publish").upstream_task_ids == {"quality_gate"}


def test_warehouse_work_of_both_dags_runs_one_at_a_time(dagbag):
    """The hourly and the monthly DAG both build at 06:00 on the 1st: one pool slot serialises them."""
    in_pool = {
        (dag_id, task.task_id)
        for dag_id, dag in dagbag.dags.items()
        for task in dag.tasks
        if task.pool == dag_settings.WAREHOUSE_POOL
    }
    assert in_pool == {
        ("attendance_hourly", "transform"),
        ("attendance_hourly", "quality_gate"),
        ("monthly_close", "build"),
        ("monthly_close", "quality_gate"),
        ("monthly_close", "lock"),
    }


def test_monthly_close_locks_only_after_the_gate(dagbag):
    dag = dagbag.dags["monthly_close"]
    assert "month" in dag.params
    assert dag.get_task("quality_gate").upstream_task_ids >= {"build"}
    assert dag.get_task("lock").upstream_task_ids >= {"quality_gate"}
    assert dag.get_task("report_and_export").upstream_task_ids >= {"lock"}


_IMPORT_PROBE = r"""
import importlib.util, json, sys
from pathlib import Path

def parse_all():
    for path in sorted(Path(sys.argv[1]).glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))

# First pass: lets Airflow finish its own lazy imports (croniter probes the platform with a
# subprocess). Any I/O of ours would already fail here: the warehouse URL points nowhere.
before = set(sys.modules)
parse_all()
# DAG files only wire: the parts doing the work (dbt, GX, pyzk, the packages) load in the tasks.
HEAVY = ("dbt", "great_expectations", "zk", "psycopg", "ingest", "expectations", "dashboards")
heavy = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in HEAVY)

events = []
WATCHED = {"socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.system", "sqlite3.connect"}

def hook(event, args):
    if event in WATCHED:
        events.append([event, repr(args)[:200]])
    elif event == "open" and isinstance(args[0], str) and args[1] and any(c in str(args[1]) for c in "wax+"):
        events.append([event, repr(args)[:200]])

sys.addaudithook(hook)
# Second pass re-executes every DAG module top to bottom under the audit hook.
parse_all()
print(json.dumps({"events": events, "heavy": heavy}))
"""


def test_dag_files_do_no_io_at_import(tmp_path: Path):
    """Parse every DAG file with the warehouse pointing nowhere: nothing connects, nothing starts,
    nothing is written."""
    env = dict(os.environ)
    env["ABSENSI_DATABASE_URL"] = "postgresql://nobody:secret@192.0.2.1:1/nowhere"  # TEST-NET: unroutable
    env["ABSENSI_HOME"] = str(tmp_path / "state")
    env["ABSENSI_INBOX"] = str(tmp_path / "inbox")
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, str(airflow_local.DAGS_FOLDER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    assert probe["events"] == []
    assert probe["heavy"] == []
    assert not (tmp_path / "state").exists() and not (tmp_path / "inbox").exists()
