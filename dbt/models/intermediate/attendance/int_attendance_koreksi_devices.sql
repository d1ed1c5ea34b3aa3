-- The device-days an approved MESIN_RUSAK correction covers (issue 15): the device was broken or
-- offline from tanggal to sampai, so no employee-day waits for its log (int_attendance_day_pending)
-- and its dependents without a punch get the policy's manual-attendance status
-- (int_attendance_koreksi_days, seed policy_koreksi).
with corrections as (
    select * from {{ ref('stg_raw__koreksi') }}
    where is_approved and correction_type = 'MESIN_RUSAK'
)

select
    corrections.device_sn,
    covered.work_date::date as work_date,
    string_agg(corrections.correction_text, '; ' order by corrections.correction_date) as correction_text
from corrections
cross join
    lateral generate_series(
        corrections.correction_date, corrections.correction_end, interval '1 day'
    ) as covered (work_date)
group by corrections.device_sn, covered.work_date::date
