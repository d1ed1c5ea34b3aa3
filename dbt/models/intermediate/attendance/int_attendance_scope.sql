{{ config(
    materialized='table',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}, {'columns': ['work_date']}],
    post_hook='analyze {{ this }}',
) }}
-- Analyzed after each build (issue 21): the punch days, leave, pending and priced days that join it
-- plan on the hour's true row count (a handful of employee-days, or the whole window on a refresh).
-- The employee-workdays this run computes: active employees (aktif_mulai..aktif_sampai) on the
-- workdays of their OPD's schedule, limited to the touched ranges in incremental mode. Carries
-- everything the rules need that is not a punch or a leave letter.
-- Rosters (issue 14, int_employee_shift_days): a rostered shift is a workday of its own, whatever the
-- weekday or holiday, with the shift's times and punch window; a rostered day off (L) or shift
-- replaces the regular day of that date. Regular days are shift_code REG, window = the calendar date.
{%- set full = attendance_full_mode() %}

with employees as (
    select * from {{ ref('stg_raw__employees') }}
),

opd_calendar as (
    select * from {{ ref('int_opd_calendar') }}
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

shift_days as (
    select * from {{ ref('int_employee_shift_days') }}
    {%- if not full %}
    -- bounds as scalar subqueries: the roster index finds the touched dates, never the whole history
    where
        work_date >= (select min(touched_bounds.date_from) from {{ ref('int_attendance_touched') }} as touched_bounds)
        and work_date <= (select max(touched_bounds.date_to) from {{ ref('int_attendance_touched') }} as touched_bounds)
    {%- endif %}
),

attendance_window as (
    select * from {{ ref('int_attendance_window') }}
),

employee_rules as (
    select
        employees.nip,
        employees.opd_code,
        employees.jenis_pegawai,
        employees.aktif_mulai,
        coalesce(employees.aktif_sampai, 'infinity'::date) as aktif_sampai,
        coalesce(opd_calendar.schedule_id, 'standar') as schedule_id,
        coalesce(opd_calendar.calendar_id, 'standar') as calendar_id,
        policy_assignment.policy_id
    from employees
    left join opd_calendar on opd_calendar.opd_code = employees.opd_code
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
            employee_rules.calendar_id = everyone_calendar.calendar_id
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
            and calendar.calendar_id = employee_rules.calendar_id
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
            calendar.calendar_id = employee_rules.calendar_id
            and calendar.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
),
{% endif %}

regular_days as (
    select
        employee_days.nip,
        employee_days.work_date,
        employee_days.opd_code,
        employee_days.jenis_pegawai,
        employee_days.policy_id,
        employee_days.schedule_id,
        employee_days.calendar_id,
        employee_days.period,
        'REG'::text as shift_code,
        employee_days.schedule_in,
        employee_days.schedule_out,
        employee_days.schedule_midpoint,
        employee_days.work_date::timestamp as window_open_at,
        (employee_days.work_date + 1)::timestamp as window_close_at,
        -- the day has ended (issue 13): the schedule's end plus the margin for late check-outs
        employee_days.work_date + employee_days.schedule_out
        + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings))
            as day_end
    from employee_days
    -- a rostered shift or day off replaces the regular day
    where not exists (
        select 1 from shift_days
        where shift_days.nip = employee_days.nip and shift_days.work_date = employee_days.work_date
    )
),

-- rostered shifts of the touched dates (a touched date may name every employee or one)
touched_shift_days as (
    select shift_days.*
    from shift_days
    {%- if not full %}
    where
        exists (
            select 1 from touched_dates
            where
                touched_dates.work_date = shift_days.work_date
                and (touched_dates.nip is null or touched_dates.nip = shift_days.nip)
        )
    {%- endif %}
),

rostered_days as (
    select
        employee_rules.nip,
        shift_days.work_date,
        employee_rules.opd_code,
        employee_rules.jenis_pegawai,
        coalesce(shift_days.shift_policy_id, employee_rules.policy_id) as policy_id,
        employee_rules.schedule_id,
        employee_rules.calendar_id,
        'shift'::text as period,
        shift_days.shift_code,
        shift_days.schedule_in,
        shift_days.schedule_out,
        (shift_days.schedule_start_at + (shift_days.schedule_end_at - shift_days.schedule_start_at) / 2)::time
            as schedule_midpoint,
        shift_days.window_open_at,
        shift_days.window_close_at,
        -- a shift's day ends when its punch window closes (pulang + tutup_absen_menit)
        greatest(
            shift_days.window_close_at,
            shift_days.schedule_end_at
            + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings))
        ) as day_end
    from touched_shift_days as shift_days
    inner join employee_rules
        on
            employee_rules.nip = shift_days.nip
            and shift_days.work_date between employee_rules.aktif_mulai and employee_rules.aktif_sampai
    cross join attendance_window
    where
        not shift_days.is_day_off
        and shift_days.work_date between attendance_window.window_start and attendance_window.window_end
),

all_days as (
    select * from regular_days
    union all
    select * from rostered_days
),

scoped as (
    select
        -- identifiers
        scoped_days.nip,
        scoped_days.work_date,
        {{ month_of('scoped_days.work_date') }} as month,
        -- dimensions
        scoped_days.opd_code,
        scoped_days.jenis_pegawai,
        scoped_days.policy_id,
        scoped_days.schedule_id,
        scoped_days.calendar_id,
        scoped_days.period,
        scoped_days.shift_code,
        scoped_days.schedule_in,
        scoped_days.schedule_out,
        scoped_days.schedule_midpoint,
        -- the punch window (local): a regular day's is its calendar date, a shift's [masuk − buka, pulang + tutup)
        scoped_days.window_open_at,
        scoped_days.window_close_at,
        scoped_days.day_end,
        -- metadata
        ({{ month_of('scoped_days.work_date') }} in (select month_locks.month from month_locks)) as is_locked_month
    from all_days as scoped_days
)

select * from scoped
