-- Punches of rostered employees (issue 14) that belong to no day: the employee has a roster row
-- (a shift or L) on the punch's date or the day before, and the punch is in no punch window of theirs
-- — no rostered shift's [masuk − buka, pulang + tutup) of that date or its neighbours, and the date is
-- not a regular workday of theirs (marts.fct_attendance_daily shift REG: a regular day takes every
-- punch of its date). They stay in raw and count for nothing; a roster file that gives the day its
-- shift makes the next run count them.
with punches as (
    select * from {{ ref('int_punches_matched') }}
    where nip is not null and not is_impossible_clock
),

shift_days as (
    select * from {{ ref('int_employee_shift_days') }}
),

regular_days as (
    select
        facts.nip,
        facts.work_date
    from {{ ref('fct_attendance_daily') }} as facts
    where facts.shift_code = 'REG'
),

rostered_punches as (
    select punches.*
    from punches
    where exists (
        select 1 from shift_days
        where
            shift_days.nip = punches.nip
            and shift_days.work_date in (punches.punch_date, punches.punch_date - 1)
    )
),

outside as (
    select rostered_punches.*
    from rostered_punches
    where
        not exists (
            select 1 from shift_days
            where
                shift_days.nip = rostered_punches.nip
                and shift_days.work_date
                between rostered_punches.punch_date - 1 and rostered_punches.punch_date + 1
                and not shift_days.is_day_off
                and rostered_punches.punch_local >= shift_days.window_open_at
                and rostered_punches.punch_local < shift_days.window_close_at
        )
        and not exists (
            select 1 from regular_days
            where
                regular_days.nip = rostered_punches.nip
                and regular_days.work_date = rostered_punches.punch_date
        )
)

select
    outside.device_sn::text as device_sn,
    outside.device_pin::text as device_pin,
    outside.punch_local::timestamp as punch_local,
    outside.nip::text as nip,
    outside.batch_id::bigint as batch_id,
    'di luar jendela absen setiap shift pegawai ini (jadwal dinas)'::text as problem
from outside
