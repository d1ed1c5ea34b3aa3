-- Issue 15, what an inspector (Inspektorat, BPK) asks for: every correction in its current version
-- (DISETUJUI, DITOLAK, DIAJUKAN), each employee-day it touches (MESIN_RUSAK: every employee depending
-- on the device, each day of its range), the day's status, percent and rupiah before and after it,
-- and whether it hit a locked month — loaded after the month was locked (then it is an adjustment
-- in the first open month, marts.fct_allowance_adjustment). Only an approved correction changes a
-- day: for the others, and for a day no rule changed, before = after = the day as it stands.
-- Rupiah of a day = its percent of the employee's tunjangan_pokok (before the monthly cap), rounded
-- to whole rupiah.
with corrections as (
    select * from {{ ref('stg_raw__koreksi') }}
),

employee_devices as (
    select * from {{ ref('int_employee_devices') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

facts as (
    select * from {{ ref('fct_attendance_daily') }}
),

effects as (
    select * from {{ ref('int_attendance_koreksi_effects') }}
),

month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

batches as (
    select * from {{ ref('stg_raw__ingest_batches') }}
),

adjustments as (
    select * from {{ ref('fct_allowance_adjustment') }}
),

device_dependents as (
    select distinct
        employee_devices.nip,
        employee_devices.device_sn
    from employee_devices
),

touched_days as (
    select
        corrections.*,
        corrections.nip as employee_nip,
        corrections.correction_date as touched_date
    from corrections
    where corrections.correction_type <> 'MESIN_RUSAK'
    union all
    select
        corrections.*,
        device_dependents.nip as employee_nip,
        covered.touched_date::date as touched_date
    from corrections
    cross join
        lateral generate_series(
            corrections.correction_date, corrections.correction_end, interval '1 day'
        ) as covered (touched_date)
    inner join device_dependents on device_dependents.device_sn = corrections.device_sn
),

logged as (
    select
        touched_days.*,
        facts.opd_code as fact_opd_code,
        employees.opd_code as employee_opd_code,
        employees.tunjangan_pokok,
        -- the correction (its current version) came after its month was locked (paid): an adjustment
        exists(
            select 1 from month_locks
            where
                month_locks.month = {{ month_of('touched_days.touched_date') }}
                and month_locks.locked_at < batches.finished_at
        ) as hit_locked_month,
        touched_days.is_approved and effects.nip is not null as applied,
        effects.status_before as effect_status_before,
        effects.pct_before as effect_pct_before,
        effects.status_after as effect_status_after,
        effects.pct_after as effect_pct_after,
        effects.reason_after as effect_reason_after,
        facts.status as fact_status,
        facts.deduction_pct as fact_pct,
        facts.reason as fact_reason
    from touched_days
    left join facts on facts.nip = touched_days.employee_nip and facts.work_date = touched_days.touched_date
    left join effects on effects.nip = touched_days.employee_nip and effects.work_date = touched_days.touched_date
    left join employees on employees.nip = touched_days.employee_nip
    left join batches on batches.batch_id = touched_days.batch_id
),

-- MESIN_RUSAK: only the days the employee works (a weekend of the range touches nobody)
log_rows as (
    select
        logged.*,
        case when logged.applied then logged.effect_status_before else logged.fact_status end as status_before,
        case when logged.applied then logged.effect_pct_before else logged.fact_pct end as pct_before,
        case when logged.applied then logged.effect_status_after else logged.fact_status end as status_after,
        case when logged.applied then logged.effect_pct_after else logged.fact_pct end as pct_after,
        case when logged.applied then logged.effect_reason_after else logged.fact_reason end as reason_after
    from logged
    where logged.correction_type <> 'MESIN_RUSAK' or logged.fact_status is not null or logged.applied
)

select
    -- identifiers: the correction (its key) and the employee-day it touches
    log_rows.correction_date::date as correction_date,
    log_rows.correction_type::text as correction_type,
    log_rows.device_sn::text as device_sn,
    log_rows.employee_nip::text as nip,
    log_rows.touched_date::date as work_date,
    -- the letter
    log_rows.correction_status::text as correction_status,
    log_rows.correction_end::date as correction_end,
    log_rows.correction_time::time as correction_time,
    log_rows.alasan::text as alasan,
    log_rows.nomor_surat::text as nomor_surat,
    log_rows.diajukan_oleh::text as diajukan_oleh,
    log_rows.diajukan_pada::date as diajukan_pada,
    log_rows.disetujui_oleh::text as disetujui_oleh,
    log_rows.disetujui_pada::date as disetujui_pada,
    log_rows.batch_id::bigint as batch_id,
    -- the day
    coalesce(log_rows.fact_opd_code, log_rows.employee_opd_code)::text as opd_code,
    log_rows.status_before::text as status_before,
    log_rows.status_after::text as status_after,
    log_rows.pct_before::numeric(6, 2) as pct_before,
    log_rows.pct_after::numeric(6, 2) as pct_after,
    round(log_rows.tunjangan_pokok * log_rows.pct_before / 100)::bigint as amount_before,
    round(log_rows.tunjangan_pokok * log_rows.pct_after / 100)::bigint as amount_after,
    log_rows.reason_after::text as reason_after,
    -- a locked month: the correction is an adjustment in the first open month
    coalesce(log_rows.hit_locked_month, false)::boolean as hit_locked_month,
    adjustments.month::date as adjustment_month,
    adjustments.adjustment_amount::bigint as month_adjustment_amount
from log_rows
left join adjustments
    on
        log_rows.hit_locked_month
        and adjustments.nip = log_rows.employee_nip
        and adjustments.corrected_month = {{ month_of('log_rows.touched_date') }}
        and adjustments.month not in (select month_locks.month from month_locks)
