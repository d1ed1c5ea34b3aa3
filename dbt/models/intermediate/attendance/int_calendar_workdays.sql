{{ config(materialized='table') }}
-- Every workday of the window for every schedule: Mon–Fri, not a national holiday or cuti bersama,
-- with the schedule's start/end for that weekday and period (normal or Ramadan).
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
        end as period
    from days
    where
        extract(isodow from days.work_date) between 1 and 5
        and days.work_date not in (select holidays.holiday_date from holidays)
),

scheduled as (
    select
        workdays.work_date,
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
    inner join work_schedules
        on
            work_schedules.period = workdays.period
            and work_schedules.iso_weekday = workdays.iso_weekday
)

select * from scheduled
