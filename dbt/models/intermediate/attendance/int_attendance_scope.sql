{{ config(
    materialized='table',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}, {'columns': ['work_date']}],
) }}
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

opds as (
    select * from {{ ref('stg_raw__opds') }}
),

opd_schedule as (
    select * from {{ ref('opd_schedule') }}
),

policy_assignment as (
    select * from {{ ref('policy_assignment') }}
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

regular_days as (
    select
        employee_rules.nip,
        calendar.work_date,
        employee_rules.opd_code,
        employee_rules.jenis_pegawai,
        employee_rules.policy_id,
        employee_rules.schedule_id,
        calendar.period,
        'REG'::text as shift_code,
        calendar.schedule_in,
        calendar.schedule_out,
        calendar.schedule_midpoint,
        calendar.work_date::timestamp as window_open_at,
        (calendar.work_date + 1)::timestamp as window_close_at,
        -- the day has ended (issue 13): the schedule's end plus the margin for late check-outs
        calendar.work_date + calendar.schedule_out
        + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings))
            as day_end
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
    -- a rostered shift or day off replaces the regular day
    where not exists (
        select 1 from shift_days
        where shift_days.nip = employee_rules.nip and shift_days.work_date = calendar.work_date
    )
),

-- rostered shifts of the touched ranges (a range may name every employee or one)
touched_shift_days as (
    {%- if full %}
    select shift_days.*
    from shift_days
    {%- else %}
    select shift_days.*
    from shift_days
    inner join touched
        on
            touched.nip is null
            and shift_days.work_date between touched.date_from and touched.date_to
    union
    select shift_days.*
    from shift_days
    inner join touched
        on
            touched.nip = shift_days.nip
            and shift_days.work_date between touched.date_from and touched.date_to
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
