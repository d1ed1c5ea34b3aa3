-- Per employee-day, what approved corrections (issue 15, DISETUJUI rows of stg_raw__koreksi) change
-- in the daily rule (int_attendance_days_priced): a forgotten check-in/out added at `jam`, TL/PSW
-- excused, a remote day (WFH/WFA), a broken device the day depends on (MESIN_RUSAK, through
-- int_employee_devices). One row per (nip, work_date) with at least one approved correction.
with corrections as (
    select * from {{ ref('stg_raw__koreksi') }}
    where is_approved and correction_type <> 'MESIN_RUSAK'
),

broken_device_days as (
    select * from {{ ref('int_attendance_koreksi_devices') }}
),

employee_devices as (
    select * from {{ ref('int_employee_devices') }}
),

per_employee as (
    select
        corrections.nip,
        corrections.correction_date as work_date,
        corrections.correction_type,
        corrections.correction_time,
        null::text as device_sn,
        corrections.correction_text
    from corrections
    union all
    select distinct
        employee_devices.nip,
        broken_device_days.work_date,
        'MESIN_RUSAK' as correction_type,
        null::time as correction_time,
        broken_device_days.device_sn,
        broken_device_days.correction_text
    from broken_device_days
    inner join employee_devices on employee_devices.device_sn = broken_device_days.device_sn
)

select
    per_employee.nip,
    per_employee.work_date,
    max(per_employee.work_date + per_employee.correction_time) filter (
        where per_employee.correction_type = 'LUPA_MASUK'
    ) as added_in,
    max(per_employee.work_date + per_employee.correction_time) filter (
        where per_employee.correction_type = 'LUPA_PULANG'
    ) as added_out,
    coalesce(bool_or(per_employee.correction_type in ('IZIN_TERLAMBAT', 'DL_SEBAGIAN')), false) as excuse_tl,
    coalesce(bool_or(per_employee.correction_type in ('IZIN_PULANG_CEPAT', 'DL_SEBAGIAN')), false) as excuse_psw,
    -- WFA wins over WFH on the (unusual) day that has both
    max(per_employee.correction_type) filter (where per_employee.correction_type in ('WFH', 'WFA')) as remote_type,
    string_agg(distinct per_employee.device_sn, ',') as broken_devices,
    string_agg(per_employee.correction_text, '; ' order by per_employee.correction_type, per_employee.device_sn)
        as correction_text
from per_employee
group by per_employee.nip, per_employee.work_date
