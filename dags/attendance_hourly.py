"""
### attendance_hourly

Every hour (regency local time): list the active devices → pull each device (one mapped task per
device, at most `device_pull` pool slots at once) → dbt build (incremental marts) → quality gate →
publish.

- A device that cannot be read fails **its own** task instance and leaves a `failed` row in
  `raw.ingest_batch`; the other devices' punches are still transformed and published. Its backlog
  stays in the device and arrives with the next hourly run.
- A failing quality gate fails the run; nothing is published.
- Re-running (or backfilling) any hour is idempotent: punches are keyed on
  `(device_sn, device_pin, punch_local)` and the marts rebuild their lookback window.
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable, TriggerRule, dag, get_current_context, task

from absensi.orchestration import dag_settings


@dag(
    dag_id="attendance_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone=dag_settings.timezone_name()),
    start_date=dag_settings.start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=dag_settings.default_args(),
    tags=["absensi", "hourly", "devices"],
    doc_md=__doc__,
)
def attendance_hourly():
    # Each task resolves its settings and the warehouse once (absensi.edge) and calls one function.
    @task
    def list_devices() -> list[str]:
        from absensi.edge import resolve
        from absensi.orchestration.hourly import list_active_devices

        return list_active_devices(resolve())

    # No task retries: the next hourly run is the retry, and the device keeps its backlog until then.
    @task(pool=dag_settings.DEVICE_POOL, retries=0, map_index_template="{{ device_sn }}")
    def pull_device(device_sn: str) -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.hourly import pull_one

        get_current_context()["device_sn"] = device_sn  # type: ignore[typeddict-unknown-key]
        return pull_one(resolve(), device_sn)

    # Runs when every pull has finished and at least one succeeded: one dead device must not hold
    # back the rest of the regency.
    @task(trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS, pool=dag_settings.WAREHOUSE_POOL)
    def transform() -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from absensi.edge import resolve
        from absensi.orchestration.hourly import transform as build

        result = build(resolve())
        if result.get("skipped"):
            # a full refresh holds the warehouse: gate and publish skip too, the next hour catches up
            raise AirflowSkipException(result["reason"])
        return result

    # Retrying does not change the data it judges.
    @task(retries=0, pool=dag_settings.WAREHOUSE_POOL)
    def quality_gate(data_interval_end=None) -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.hourly import gate_month
        from absensi.orchestration.hourly import quality_gate as gate

        edge = resolve()
        return gate(edge, gate_month(edge, data_interval_end))

    @task
    def publish() -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.hourly import publish as render

        return render(resolve())

    pulls = pull_device.expand(device_sn=list_devices())
    pulls >> transform() >> quality_gate() >> publish()


hourly_dag = attendance_hourly()

if __name__ == "__main__":
    hourly_dag.test()
