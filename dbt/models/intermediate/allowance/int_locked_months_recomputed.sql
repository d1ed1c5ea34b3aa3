-- A locked month as it would be today, for the employee-months that corrections touched: the frozen
-- days (ops.locked_attendance_daily), each replaced by its recomputed version from
-- int_attendance_corrections (a late leave letter, a device backlog, a PIN fix). Carries what the
-- close froze for the month (OPD, policy, base), so it is priced with the frozen base.
-- Employees loaded or changed after the lock (issue 16, CONTRACTS "Money after a lock"):
--   a month the employee is owed but was not paid (loaded after the lock, or aktif_mulai moved
--     earlier): no frozen row (was_paid false); base = his current tunjangan_pokok, OPD and policy
--     of his last recomputed day; the base is whole-month, so he is owed base − his deduction;
--   a frozen day outside his current aktif_mulai..aktif_sampai (ended retroactively) no longer
--     counts; a month with none of his days left is not owed at all (is_employed false: the whole
--     base is clawed back).
with frozen_days as (
    select * from {{ source('ops', 'locked_attendance_daily') }}
),

frozen_months as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

corrections as (
    select * from {{ ref('int_attendance_corrections') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

-- whether the employee is still employed, by today's data, on each frozen day
frozen_days_now as (
    select
        frozen_days.nip,
        frozen_days.work_date,
        frozen_days.deduction_pct,
        coalesce(
            frozen_days.work_date
            between employees.aktif_mulai and coalesce(employees.aktif_sampai, 'infinity'::date),
            false
        ) as is_employed
    from frozen_days
    left join employees on employees.nip = frozen_days.nip
),

corrected_employee_months as (
    select distinct
        corrections.nip,
        {{ month_of('corrections.work_date') }} as month
    from corrections
    union
    select distinct
        frozen_days_now.nip,
        {{ month_of('frozen_days_now.work_date') }} as month
    from frozen_days_now
    where not frozen_days_now.is_employed
),

merged_days as (
    select
        coalesce(corrections.nip, frozen_days_now.nip) as nip,
        {{ month_of('coalesce(corrections.work_date, frozen_days_now.work_date)') }} as month,
        coalesce(corrections.work_date, frozen_days_now.work_date) as work_date,
        coalesce(corrections.deduction_pct, frozen_days_now.deduction_pct) as deduction_pct,
        corrections.opd_code,
        corrections.policy_id
    from frozen_days_now
    full outer join corrections
        on corrections.nip = frozen_days_now.nip and corrections.work_date = frozen_days_now.work_date
    where
        -- a recomputed day is a day he is employed on; a frozen one only when it still is
        (corrections.nip is not null or frozen_days_now.is_employed)
        and (
            coalesce(corrections.nip, frozen_days_now.nip),
            {{ month_of('coalesce(corrections.work_date, frozen_days_now.work_date)') }}
        ) in (
            select
                corrected_employee_months.nip,
                corrected_employee_months.month
            from corrected_employee_months
        )
),

recomputed as (
    select
        merged_days.nip,
        merged_days.month,
        sum(merged_days.deduction_pct) as total_pct_uncapped
    from merged_days
    group by merged_days.nip, merged_days.month
),

-- OPD and policy of an unpaid month: his last recomputed day in it
last_day as (
    select distinct on (merged_days.nip, merged_days.month)
        merged_days.nip,
        merged_days.month,
        merged_days.opd_code,
        merged_days.policy_id
    from merged_days
    where merged_days.opd_code is not null
    order by merged_days.nip asc, merged_days.month asc, merged_days.work_date desc
),

locked_months as (
    select
        -- identifiers
        corrected_employee_months.nip,
        corrected_employee_months.month,
        -- dimensions (as frozen; an unpaid month: his last recomputed day)
        coalesce(frozen_months.opd_code, last_day.opd_code) as opd_code,
        coalesce(frozen_months.policy_id, last_day.policy_id) as policy_id,
        -- facts
        coalesce(frozen_months.base_amount, employees.tunjangan_pokok) as base_amount,
        coalesce(recomputed.total_pct_uncapped, 0) as total_pct_uncapped,
        -- metadata
        (recomputed.nip is not null) as is_employed,
        (frozen_months.nip is not null) as was_paid
    from corrected_employee_months
    left join recomputed
        on recomputed.nip = corrected_employee_months.nip and recomputed.month = corrected_employee_months.month
    left join frozen_months
        on
            frozen_months.nip = corrected_employee_months.nip
            and frozen_months.month = corrected_employee_months.month
    left join last_day
        on last_day.nip = corrected_employee_months.nip and last_day.month = corrected_employee_months.month
    left join employees on employees.nip = corrected_employee_months.nip
    -- neither paid nor owed: nothing to correct
    where frozen_months.nip is not null or recomputed.nip is not null
)

select * from locked_months
