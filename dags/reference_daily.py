"""
### reference_daily

Every day at 05:00 (regency local time), before offices open: load the reference exports dropped
into the inbox folder (`ABSENSI_INBOX`): OPDs, devices, employees, device PINs and leave.

- Files load in dependency order (opd → devices → employees → pins → leave); the kind comes from
  the file name (`employees_2026-11.csv`, `cuti_november.csv`, ...).
- Each file is loaded once, by content (SHA-256): a file already loaded is only moved away.
- Loaded files go to `processed/`; a refused file goes to `rejected/` with `<name>.error.txt`
  listing every bad row. Nothing of a refused file is stored. A refused file fails the run so that
  someone looks at it.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, dag, task

from absensi.orchestration import dag_settings


@dag(
    dag_id="reference_daily",
    schedule=CronTriggerTimetable("0 5 * * *", timezone=dag_settings.timezone_name()),
    start_date=dag_settings.start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=dag_settings.default_args(),
    tags=["absensi", "daily", "reference"],
    doc_md=__doc__,
)
def reference_daily():
    # Each task resolves its settings and the warehouse once (absensi.edge) and calls one function.
    @task
    def scan_inbox() -> list[str]:
        from absensi.orchestration.inbox import pending_files
        from warehouse import settings

        return [path.name for path in pending_files(settings.load().inbox)]

    @task
    def load_files(names: list[str]) -> list[dict]:
        from absensi.edge import resolve
        from absensi.orchestration.inbox import process_inbox

        edge = resolve()
        # only what the scan listed; a file dropped meanwhile waits for the next run
        return [outcome.as_dict() for outcome in process_inbox(edge.url, edge.settings.inbox, names)]

    # Retrying cannot un-reject a file; the operator fixes it and drops it again.
    @task(retries=0)
    def check_rejections(outcomes: list[dict]) -> dict:
        from absensi.orchestration.inbox import raise_for_rejections

        return raise_for_rejections(outcomes)

    check_rejections(load_files(scan_inbox()))


reference_dag = reference_daily()

if __name__ == "__main__":
    reference_dag.test()
