-- Rostered days (issue 14): per employee and day a shift starts (stg_raw__rosters, the newest batch
-- per nip + tanggal), the shift's times and its punch window from seed shift_types. REG rows are left
-- out (the regular day: the OPD's calendar and schedule, punches of the calendar date, as without a
-- roster); L rows stay, as is_day_off, because a rostered day off removes a regular workday.
-- A shift whose pulang is at or before its masuk ends the next day; its window is
-- [start − buka_absen_menit, end + tutup_absen_menit).
with rosters as (
    select * from {{ ref('stg_raw__rosters') }}
),

shift_types as (
    select * from {{ ref('shift_types') }}
),

shifts as (
    select
        -- identifiers
        rosters.nip,
        rosters.work_date,
        -- dimensions
        rosters.shift_code,
        (rosters.shift_code = 'L') as is_day_off,
        shift_types.policy_id as shift_policy_id,
        shift_types.masuk::time as schedule_in,
        shift_types.pulang::time as schedule_out,
        -- facts: local timestamps (the device clock)
        rosters.work_date + shift_types.masuk::time as schedule_start_at,
        rosters.work_date + shift_types.pulang::time
        + case when shift_types.pulang::time <= shift_types.masuk::time then interval '1 day' else interval '0' end
            as schedule_end_at,
        shift_types.buka_absen_menit,
        shift_types.tutup_absen_menit
    from rosters
    inner join shift_types on shift_types.shift_code = rosters.shift_code
    where rosters.shift_code <> 'REG'
)

select
    shifts.nip,
    shifts.work_date,
    shifts.shift_code,
    shifts.is_day_off,
    shifts.shift_policy_id,
    shifts.schedule_in,
    shifts.schedule_out,
    shifts.schedule_start_at,
    shifts.schedule_end_at,
    shifts.schedule_start_at - make_interval(mins => coalesce(shifts.buka_absen_menit, 0)) as window_open_at,
    shifts.schedule_end_at + make_interval(mins => coalesce(shifts.tutup_absen_menit, 0)) as window_close_at
from shifts
