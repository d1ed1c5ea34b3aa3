"""Run the project's DAGs with `dag.test()` in a throwaway AIRFLOW_HOME (demo and tests).

Airflow reads its configuration when `airflow` is first imported, so `configure()` must run before
that; everything here imports Airflow lazily for that reason.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from absensi.orchestration.dag_settings import DEVICE_POOL, WAREHOUSE_POOL
from warehouse.settings import DAGS_FOLDER

DEVICE_POOL_SLOTS = 8


def configure(home: Path, dags_folder: Path = DAGS_FOLDER, *, quiet: bool = True) -> None:
    """Point Airflow at `home` (sqlite metadata DB, no examples) and at our DAG folder."""
    home = Path(home).resolve()
    current = os.environ.get("AIRFLOW_HOME")
    if "airflow" in sys.modules and current and Path(current).resolve() != home:
        raise RuntimeError(f"Airflow already imported with AIRFLOW_HOME={current}; cannot switch to {home}")
    home.mkdir(parents=True, exist_ok=True)
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dags_folder).resolve()),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # The demo prints its own summary; Airflow's per-task chatter goes to the task logs.
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING" if quiet else "INFO",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }
    os.environ.update(settings)


def init_metadata_db() -> None:
    """Create (or upgrade) the sqlite metadata DB and the device pool the hourly DAG uses."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool(
        DEVICE_POOL, DEVICE_POOL_SLOTS, "Tarikan mesin absensi serentak", include_deferred=False
    )
    Pool.create_or_update_pool(
        WAREHOUSE_POOL, 1, "dbt build, gerbang mutu, kunci bulan: satu per satu", include_deferred=False
    )


@dataclass
class TaskOutcome:
    task_id: str
    map_index: int
    state: str
    label: str | None = None  # a mapped task's rendered label (the device serial for pulls)


@dataclass
class DagRunReport:
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None
    tasks: list[TaskOutcome] = field(default_factory=list)

    def states(self, task_id: str) -> list[str]:
        return [t.state for t in sorted(self.tasks, key=lambda t: t.map_index) if t.task_id == task_id]

    def state_of(self, task_id: str) -> str:
        states = self.states(task_id)
        if len(states) != 1:
            raise KeyError(f"{task_id}: {len(states)} task instances")
        return states[0]


def load_dag(dag_id: str, dags_folder: Path = DAGS_FOLDER):
    """The DAG object as the DAG processor would parse it from the folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise KeyError(f"DAG {dag_id!r} not found in {dags_folder}")
    return dag


def run_dag(
    dag_id: str,
    *,
    logical_date: datetime | None = None,
    conf: dict[str, Any] | None = None,
    dags_folder: Path = DAGS_FOLDER,
    mark_success_pattern: str | None = None,
) -> DagRunReport:
    """One DAG run through `dag.test()`; returns the run's and every task instance's final state.
    Tasks whose id matches `mark_success_pattern` are marked successful without running."""
    from airflow.utils.session import create_session

    dag = load_dag(dag_id, dags_folder)
    kwargs: dict[str, Any] = {"run_conf": conf or None, "mark_success_pattern": mark_success_pattern}
    if logical_date is not None:
        kwargs["logical_date"] = logical_date
        kwargs["run_after"] = logical_date
    dag_run = dag.test(**kwargs)
    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        tasks = [
            TaskOutcome(ti.task_id, ti.map_index, str(_value(ti.state)), ti.rendered_map_index) for ti in tis
        ]
    return DagRunReport(
        dag_id=dag_id,
        run_id=dag_run.run_id,
        state=str(_value(dag_run.state)),
        logical_date=dag_run.logical_date,
        tasks=tasks,
    )


def _value(state: Any) -> Any:
    return getattr(state, "value", state)


def task_result(report: DagRunReport, task_id: str, map_index: int = -1) -> Any:
    """What a task of a finished run returned (its `return_value` XCom)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(
                run_id=report.run_id,
                key="return_value",
                task_ids=task_id,
                dag_ids=report.dag_id,
                map_indexes=map_index,
            )
        ).first()
        if row is None:
            raise KeyError(f"{report.dag_id}.{task_id}[{map_index}] returned nothing")
        return XComModel.deserialize_value(row)
