-- Per scoped employee-day: the devices it depends on whose log the warehouse does not hold past the
-- day's end yet (issue 13, docs/CONTRACTS.md "Completeness"). The day depends on the active devices
-- of int_employee_devices (its OPD's, those its PINs are registered on) and on every active device
-- the employee punched that day; a decommissioned device (is_active false) blocks nothing. A device
-- covers the day when its newest read (int_device_last_read, device clock) is at or after the day's
-- end (int_attendance_scope.day_end). A device an approved MESIN_RUSAK correction declares broken
-- that day (issue 15, int_attendance_koreksi_devices) is waited for no longer.
-- One row per employee-day still waiting; no row = every device it depends on is covered.
with scope as (
    select * from {{ ref('int_attendance_scope') }}
),

punch_days as (
    select * from {{ ref('int_attendance_punch_days') }}
),

employee_devices as (
    select * from {{ ref('int_employee_devices') }}
),

active_devices as (
    select * from {{ ref('stg_raw__devices') }}
    where coalesce(is_active, true)
),

last_reads as (
    select * from {{ ref('int_device_last_read') }}
),

broken_device_days as (
    select * from {{ ref('int_attendance_koreksi_devices') }}
),


-- Every active device of the regency read past this moment covers every day that ended before it:
-- only the days after it need the per-device check (an hourly run over years looks at a few days).
covered_everywhere as (
    select min(coalesce(last_reads.read_local_at, '-infinity'::timestamp)) as covered_until
    from active_devices
    left join last_reads on last_reads.device_sn = active_devices.device_sn
),

open_days as (
    select
        scope.nip,
        scope.work_date,
        scope.day_end
    from scope
    where scope.day_end > (select coalesce(covered_everywhere.covered_until, 'infinity') from covered_everywhere)
),

dependencies as (
    select
        open_days.nip,
        open_days.work_date,
        open_days.day_end,
        employee_devices.device_sn
    from open_days
    inner join employee_devices on employee_devices.nip = open_days.nip
    union
    select
        open_days.nip,
        open_days.work_date,
        open_days.day_end,
        punched.device_sn
    from open_days
    inner join punch_days on punch_days.nip = open_days.nip and punch_days.work_date = open_days.work_date
    cross join lateral unnest(string_to_array(punch_days.punch_devices, ',')) as punched (device_sn)
    inner join active_devices on active_devices.device_sn = punched.device_sn
),

waiting as (
    select
        dependencies.nip,
        dependencies.work_date,
        dependencies.device_sn,
        last_reads.read_local_at
    from dependencies
    left join last_reads on last_reads.device_sn = dependencies.device_sn
    where
        (last_reads.read_local_at is null or last_reads.read_local_at < dependencies.day_end)
        and not exists (
            select 1 from broken_device_days
            where
                broken_device_days.device_sn = dependencies.device_sn
                and broken_device_days.work_date = dependencies.work_date
        )
)

select
    waiting.nip,
    waiting.work_date,
    string_agg(waiting.device_sn, ',' order by waiting.device_sn) as pending_devices,
    string_agg(
        format(
            '%s (%s)',
            waiting.device_sn,
            coalesce(
                'terakhir terbaca ' || to_char(waiting.read_local_at, 'DD-MM-YYYY HH24:MI'), 'belum pernah terbaca'
            )
        ),
        ', ' order by waiting.device_sn
    ) as pending_text
from waiting
group by waiting.nip, waiting.work_date
