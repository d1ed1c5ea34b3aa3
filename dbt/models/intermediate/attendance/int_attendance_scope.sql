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

calendar_dates as (
    select distinct calendar.work_date
    from calendar
),

-- every (employee or all employees, date) a touched range covers, once
touched_days as (
    select distinct
        touched.nip,
        calendar_dates.work_date
    from touched
    inner join calendar_dates
        on calendar_dates.work_date between touched.date_from and touched.date_to
),

-- split so each half joins on equality (an OR join would pair every day with every employee)
scope_keys as (
    select
        employee_rules.nip,
        touched_days.work_date
    from touched_days
    cross join employee_rules
    where touched_days.nip is null
    union
    select
        touched_days.nip,
        touched_days.work_date
    from touched_days
    where touched_days.nip is not null
),
{% endif %}

scoped as (
    select
        -- identifiers
        employee_rules.nip,
        calendar.work_date,
        {{ month_of('calendar.work_date') }} as month,
        -- dimensions
        employee_rules.opd_code,
        employee_rules.jenis_pegawai,
        employee_rules.policy_id,
        employee_rules.schedule_id,
        calendar.period,
        calendar.schedule_in,
        calendar.schedule_out,
        calendar.schedule_midpoint,
        -- the day has ended (issue 13): the schedule's end plus the margin for late check-outs
        calendar.work_date + calendar.schedule_out
        + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings))
            as day_end,
        -- metadata
        ({{ month_of('calendar.work_date') }} in (select month_locks.month from month_locks)) as is_locked_month
    {% if full %}
    from employee_rules
    inner join calendar
        on
            calendar.schedule_id = employee_rules.schedule_id
            and calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
    {% else %}
    from scope_keys
    inner join employee_rules on employee_rules.nip = scope_keys.nip
    inner join calendar
        on
            calendar.work_date = scope_keys.work_date
            and calendar.schedule_id = employee_rules.schedule_id
            and calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
    {% endif %}
)

select * from scoped
