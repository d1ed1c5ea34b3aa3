{{ config(
    materialized='table',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}, {'columns': ['work_date']}],
) }}
-- The employee-workdays this run computes: active employees (aktif_mulai..aktif_sampai) on the
-- workdays of their OPD's schedule, limited to the touched ranges in incremental mode. Carries
-- everything the rules need that is not a punch or a leave letter.
{%- set full = attendance_full_mode() %}

with employees as (
    select * from {{ ref('stg_raw__employees') }}
),

opds as (
    select * from {{ ref('stg_raw__opds') }}
),

opd_schedule as (
    select * from {{ ref('opd_schedule') }}
),

policy_assignment as (
    select * from {{ ref('int_policy_assignment') }}
),

calendar as (
    select * from {{ ref('int_calendar_workdays') }}
),

month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

coverage_settings as (
    select * from {{ ref('coverage_settings') }}
),

employee_rules as (
    select
        employees.nip,
        employees.opd_code,
        employees.jenis_pegawai,
        employees.aktif_mulai,
        coalesce(employees.aktif_sampai, 'infinity'::date) as aktif_sampai,
        coalesce(opd_schedule.schedule_id, 'standar') as schedule_id,
        policy_assignment.policy_id
    from employees
    left join opds on opds.opd_code = employees.opd_code
    left join opd_schedule on opd_schedule.jenis_opd = opds.jenis_opd
    left join policy_assignment on policy_assignment.jenis_pegawai = employees.jenis_pegawai
),

{% if not full %}
touched as (
    select * from {{ ref('int_attendance_touched') }}
),

-- Issue 21: the touched dates first, straight from the ranges (a handful of dates an hour), then their
-- calendar rows, then the employees. Each step is `materialized` so PostgreSQL computes it before the
-- next join whatever its row estimates (they are off by orders of magnitude on generated date series):
-- the employees never meet the whole calendar, and the work is touched dates x employees at any size.
touched_dates as materialized (
    select distinct
        touched.nip,
        touched_day::date as work_date
    from touched
    cross join lateral generate_series(touched.date_from, touched.date_to, interval '1 day') as touched_day
),

-- dates recomputed for every employee: their calendar rows (one per schedule)
everyone_calendar as materialized (
    select calendar.*
    from calendar
    where calendar.work_date in (
        select touched_dates.work_date from touched_dates
        where touched_dates.nip is null
    )
),

-- two halves, each joined on equality (an OR join would pair every day with every employee) and
-- disjoint by construction, so `union all` with no de-duplication: every employee on the
-- everyone-dates, and the employees touched one by one on their other dates
employee_days as (
    select
        employee_rules.*,
        everyone_calendar.work_date,
        everyone_calendar.period,
        everyone_calendar.schedule_in,
        everyone_calendar.schedule_out,
        everyone_calendar.schedule_midpoint
    from everyone_calendar
    inner join employee_rules
        on
            employee_rules.schedule_id = everyone_calendar.schedule_id
            and everyone_calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
    union all
    select
        employee_rules.*,
        calendar.work_date,
        calendar.period,
        calendar.schedule_in,
        calendar.schedule_out,
        calendar.schedule_midpoint
    from touched_dates
    inner join employee_rules on employee_rules.nip = touched_dates.nip
    inner join calendar
        on
            calendar.work_date = touched_dates.work_date
            and calendar.schedule_id = employee_rules.schedule_id
            and calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
    where
        touched_dates.nip is not null
        and touched_dates.work_date not in (
            select everyone_calendar.work_date from everyone_calendar
        )
),
{% else %}
employee_days as (
    select
        employee_rules.*,
        calendar.work_date,
        calendar.period,
        calendar.schedule_in,
        calendar.schedule_out,
        calendar.schedule_midpoint
    from employee_rules
    inner join calendar
        on
            calendar.schedule_id = employee_rules.schedule_id
            and calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
),
{% endif %}

scoped as (
    select
        -- identifiers
        employee_days.nip,
        employee_days.work_date,
        {{ month_of('employee_days.work_date') }} as month,
        -- dimensions
        employee_days.opd_code,
        employee_days.jenis_pegawai,
        employee_days.policy_id,
        employee_days.schedule_id,
        employee_days.period,
        employee_days.schedule_in,
        employee_days.schedule_out,
        employee_days.schedule_midpoint,
        -- the day has ended (issue 13): the schedule's end plus the margin for late check-outs
        employee_days.work_date + employee_days.schedule_out
        + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings))
            as day_end,
        -- metadata
        ({{ month_of('employee_days.work_date') }} in (select month_locks.month from month_locks))
            as is_locked_month
    from employee_days
)

select * from scoped
