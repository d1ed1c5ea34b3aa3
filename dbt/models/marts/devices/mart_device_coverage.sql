-- Per active device and local day of the attendance window: whether the warehouse holds the
-- device's log past the end of that day (issue 13, docs/CONTRACTS.md "Completeness"). The day ends
-- at the latest schedule end of the device's OPD that day plus coverage_settings.day_end_margin_minutes
-- (a day off: its midnight); covered = the device's newest counted read (int_device_last_read,
-- device clock) is at or after that end. A read at T covers every earlier day, so the table is a
-- device's covered days followed by the days still waiting.
with devices as (
    select * from {{ ref('stg_raw__devices') }}
    where coalesce(is_active, true)
),

opd_calendar as (
    select * from {{ ref('int_opd_calendar') }}
),

calendar as (
    select * from {{ ref('int_calendar_workdays') }}
),

attendance_window as (
    select * from {{ ref('int_attendance_window') }}
),

last_reads as (
    select * from {{ ref('int_device_last_read') }}
),

coverage_settings as (
    select * from {{ ref('coverage_settings') }}
),

device_schedules as (
    select
        devices.device_sn,
        devices.opd_code,
        coalesce(opd_calendar.calendar_id, 'standar') as calendar_id
    from devices
    left join opd_calendar on opd_calendar.opd_code = devices.opd_code
),

days as (
    select
        device_schedules.device_sn,
        device_schedules.opd_code,
        device_schedules.calendar_id,
        calendar_day.calendar_day::date as day  -- noqa: RF04
    from device_schedules
    cross join attendance_window
    cross join lateral generate_series(
        attendance_window.window_start, attendance_window.window_end, interval '1 day'
    ) as calendar_day
),

day_ends as (
    select
        days.device_sn,
        days.opd_code,
        days.day,
        coalesce(
            days.day + calendar.schedule_out
            + make_interval(mins => (select max(coverage_settings.day_end_margin_minutes) from coverage_settings)),
            (days.day + 1)::timestamp
        ) as day_end,
        calendar.work_date is not null as is_workday
    from days
    left join calendar on calendar.calendar_id = days.calendar_id and calendar.work_date = days.day
)

select
    -- identifiers
    day_ends.device_sn::text as device_sn,
    day_ends.day::date as day,  -- noqa: RF04
    -- dimensions
    day_ends.opd_code::text as opd_code,
    day_ends.is_workday,
    -- facts
    coalesce(last_reads.read_local_at >= day_ends.day_end, false) as covered,
    day_ends.day_end::timestamp as day_end,
    last_reads.read_at::timestamptz as last_ok_read_at,
    last_reads.read_local_at::timestamp as last_ok_read_local_at,
    (case
        when last_reads.read_local_at >= day_ends.day_end then 'terbaca sesudah hari berakhir'
        when {{ as_of_local() }} < day_ends.day_end
            then format('hari belum berakhir (berakhir %s)', to_char(day_ends.day_end, 'DD-MM-YYYY HH24:MI'))
        when last_reads.read_local_at is null then 'mesin belum pernah terbaca'
        else format(
            'belum terbaca sesudah %s (terakhir terbaca %s)',
            to_char(day_ends.day_end, 'DD-MM-YYYY HH24:MI'),
            to_char(last_reads.read_local_at, 'DD-MM-YYYY HH24:MI')
        )
    end)::text as reason
from day_ends
left join last_reads on last_reads.device_sn = day_ends.device_sn
