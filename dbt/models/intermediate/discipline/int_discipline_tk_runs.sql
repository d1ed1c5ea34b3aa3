-- depends_on: {{ ref('int_attendance_touched') }}
-- depends_on: {{ ref('stg_raw__employees') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['nip']}],
    pre_hook=[
        "{% if is_incremental() %}
         delete from {{ this }} as runs
         using ({{ tk_restart_points() }}) as restart
         where restart.nip = runs.nip and runs.run_start > restart.restart_after
         {% endif %}",
    ],
) }}
-- Runs of consecutive TK workdays per employee (issue 20; PP 94/2021 Pasal 11: "tidak masuk kerja
-- tanpa alasan yang sah selama 10 hari kerja berturut-turut"). Only the employee's workdays are rows
-- of the daily facts, so a weekend or holiday between two TK days neither breaks the run nor counts
-- in it; any other workday (present, leave, MENUNGGU: not known yet) ends it. Open months come from
-- fct_attendance_daily, locked ones from the close's frozen days.
-- Incremental (issue 21): an hourly run recomputes, per employee, only the runs after its last
-- non-TK workday before the first touched day (macros/tk_restart_points.sql): earlier runs ended
-- before that day and cannot change. A full refresh (and a change of seed sanction_settings, like
-- every rule seed: `absensi transform --full-refresh`) computes the whole history.
with open_days as (
    select
        facts.nip,
        facts.work_date,
        facts.status
    from {{ ref('fct_attendance_daily') }} as facts
    where
        {{ month_of('facts.work_date') }} not in (
            select month_locks.month from {{ source('ops', 'month_lock') }} as month_locks
        )
),

frozen_days as (
    select
        nip,
        work_date,
        status
    from {{ source('ops', 'locked_attendance_daily') }}
),

all_days as (
    select * from open_days
    union all
    select * from frozen_days
),

{% if is_incremental() %}
restart as materialized (
    {{ tk_restart_points() }}
),

-- only the days after each employee's restart point (a bound on the scan: the earliest of them)
days as (
    select all_days.*
    from all_days
    inner join restart on restart.nip = all_days.nip
    where
        all_days.work_date > restart.restart_after
        and all_days.work_date > (select min(restart_bounds.restart_after) from restart as restart_bounds)
),
{% else %}
days as (
    select * from all_days
),
{% endif %}

-- islands: TK days share (day number − TK day number) while no other workday comes between
numbered as (
    select
        days.nip,
        days.work_date,
        days.status,
        row_number() over (partition by days.nip order by days.work_date)
        - row_number() over (partition by days.nip, (days.status = 'TK') order by days.work_date) as island
    from days
),

tk_days as (
    select
        numbered.nip,
        numbered.island,
        numbered.work_date,
        row_number() over (partition by numbered.nip, numbered.island order by numbered.work_date) as day_in_run
    from numbered
    where numbered.status = 'TK'
)

select
    -- identifiers
    tk_days.nip::text as nip,
    min(tk_days.work_date)::date as run_start,
    -- facts
    max(tk_days.work_date)::date as run_end,
    count(*)::integer as tk_workdays,
    -- the day the run reached the threshold of seed sanction_settings (null when it did not)
    min(tk_days.work_date) filter (
        where tk_days.day_in_run
        = (select sanction_settings.consecutive_tk_workdays from {{ ref('sanction_settings') }} as sanction_settings)
    )::date as threshold_reached_on
from tk_days
group by tk_days.nip, tk_days.island
