{{ config(materialized='table') }}
-- Every workday of the window for every calendar (int_opd_calendar): the weekdays its schedule has
-- rows for in work_schedules (standar: Mon–Fri), not a national holiday or cuti bersama where the
-- calendar is closed on them, with the schedule's start/end for that weekday and period (normal or
-- Ramadan). Every schedule has its usual calendar (calendar_id = schedule_id, closed on both).
with attendance_window as (
    select * from {{ ref('int_attendance_window') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

ramadan_periods as (
    select * from {{ ref('ramadan_periods') }}
),

work_schedules as (
    select * from {{ ref('work_schedules') }}
),

calendars as (
    select
        work_schedules.schedule_id,
        work_schedules.schedule_id as calendar_id,
        true as closed_on_national_holidays,
        true as closed_on_cuti_bersama
    from work_schedules
    union
    select
        opd_calendar.schedule_id,
        opd_calendar.calendar_id,
        opd_calendar.closed_on_national_holidays,
        opd_calendar.closed_on_cuti_bersama
    from {{ ref('int_opd_calendar') }} as opd_calendar
),

days as (
    select calendar_day.calendar_day::date as work_date
    from attendance_window
    cross join lateral generate_series(
        attendance_window.window_start, attendance_window.window_end, interval '1 day'
    ) as calendar_day
),

workdays as (
    select
        days.work_date,
        extract(isodow from days.work_date)::integer as iso_weekday,
        case
            when exists (
                select 1 from ramadan_periods
                where days.work_date between ramadan_periods.start_date and ramadan_periods.end_date
            ) then 'ramadan'
            else 'normal'
        end as period,
        (
            select string_agg(distinct holidays.kind, ',') from holidays
            where holidays.holiday_date = days.work_date
        ) as holiday_kinds
    from days
),

scheduled as (
    select
        workdays.work_date,
        calendars.calendar_id,
        work_schedules.schedule_id,
        workdays.period,
        workdays.iso_weekday,
        work_schedules.start_time::time as schedule_in,
        work_schedules.end_time::time as schedule_out,
        (
            work_schedules.start_time::time
            + (work_schedules.end_time::time - work_schedules.start_time::time) / 2
        )::time as schedule_midpoint
    from workdays
    cross join calendars
    inner join work_schedules
        on
            work_schedules.schedule_id = calendars.schedule_id
            and work_schedules.period = workdays.period
            and work_schedules.iso_weekday = workdays.iso_weekday
    where
        not (calendars.closed_on_national_holidays and coalesce(workdays.holiday_kinds, '') like '%libur_nasional%')
        and not (calendars.closed_on_cuti_bersama and coalesce(workdays.holiday_kinds, '') like '%cuti_bersama%')
)

select * from scheduled
