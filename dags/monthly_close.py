"""
### monthly_close

On the 1st of every month at 06:00 (regency local time), close the previous month:
full dbt build → quality gate → lock the month's deductions → monthly report + finance export.

Trigger it by hand for any month with the `month` param (`YYYY-MM`), e.g. after a correction
before finance pays. Locking is idempotent: re-running a closed month changes nothing. A failing
quality gate stops the run before the lock. A month that has not ended yet (regency time) fails at
`choose_month`; a month with MENUNGGU days (a device not read past a day) fails at `quality_gate`,
whose log lists every device and day missing and how to resolve it: nothing is locked. After the lock, a late punch or leave for that month
appears as an adjustment in the next open month, never as a change to the paid one.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, Param, dag, task

from absensi.orchestration import dag_settings


@dag(
    dag_id="monthly_close",
    schedule=CronTriggerTimetable("0 6 1 * *", timezone=dag_settings.timezone_name()),
    start_date=dag_settings.start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=dag_settings.default_args(),
    tags=["absensi", "monthly", "finance"],
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Bulan yang ditutup (YYYY-MM); kosong = bulan sebelum tanggal run.",
        )
    },
    doc_md=__doc__,
)
def monthly_close():
    # Each task resolves its settings and the warehouse once (absensi.edge) and calls one function;
    # the month travels between tasks as its first day, 'YYYY-MM-DD'.
    # A refusal (month not over, days still MENUNGGU) is not fixed by retrying: retries=0.
    @task(retries=0)
    def choose_month(params=None, logical_date=None) -> str:
        from datetime import UTC, datetime

        from absensi.edge import resolve
        from absensi.orchestration.monthly import month_to_close, require_ended

        edge = resolve()
        month = month_to_close((params or {}).get("month"), logical_date, edge.timezone)
        require_ended(edge, month, datetime.now(UTC))
        return month.isoformat()

    @task(pool=dag_settings.WAREHOUSE_POOL)
    def build(month: str) -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.monthly import build_month
        from warehouse.months import parse_month

        return build_month(resolve(), parse_month(month))

    # Retrying does not change the data it judges.
    @task(retries=0, pool=dag_settings.WAREHOUSE_POOL)
    def quality_gate(month: str) -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.monthly import gate_month
        from warehouse.months import parse_month

        return gate_month(resolve(), parse_month(month))

    @task(pool=dag_settings.WAREHOUSE_POOL)
    def lock(month: str) -> dict:
        from datetime import UTC, datetime

        from absensi.edge import resolve
        from absensi.orchestration.monthly import lock as lock_month
        from warehouse.months import parse_month

        return lock_month(resolve(), parse_month(month), datetime.now(UTC))

    @task
    def report_and_export(month: str) -> dict:
        from absensi.edge import resolve
        from absensi.orchestration.monthly import report_and_export as outputs
        from warehouse.months import parse_month

        return outputs(resolve(), parse_month(month))

    month = choose_month()
    build(month) >> quality_gate(month) >> lock(month) >> report_and_export(month)


close_dag = monthly_close()

if __name__ == "__main__":
    close_dag.test()
