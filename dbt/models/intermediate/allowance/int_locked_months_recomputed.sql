-- A locked month as it would be today, for the employee-months that corrections touched: the frozen
-- days (ops.locked_attendance_daily), each replaced by its recomputed version from
-- int_attendance_corrections (a late leave letter, a device backlog, a PIN fix). Carries what the
-- close froze for the month (OPD, policy, base), so it is priced with the frozen base.
with frozen_days as (
    select * from {{ source('ops', 'locked_attendance_daily') }}
),

frozen_months as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

corrections as (
    select * from {{ ref('int_attendance_corrections') }}
),

corrected_employee_months as (
    select distinct
        corrections.nip,
        {{ month_of('corrections.work_date') }} as month
    from corrections
),

merged_days as (
    select
        coalesce(corrections.nip, frozen_days.nip) as nip,
        {{ month_of('coalesce(corrections.work_date, frozen_days.work_date)') }} as month,
        coalesce(corrections.deduction_pct, frozen_days.deduction_pct) as deduction_pct
    from frozen_days
    full outer join corrections
        on corrections.nip = frozen_days.nip and corrections.work_date = frozen_days.work_date
    where
        (
            coalesce(corrections.nip, frozen_days.nip),
            {{ month_of('coalesce(corrections.work_date, frozen_days.work_date)') }}
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

locked_months as (
    select
        -- identifiers
        recomputed.nip,
        recomputed.month,
        -- dimensions (as frozen)
        frozen_months.opd_code,
        frozen_months.policy_id,
        -- facts
        frozen_months.base_amount,
        recomputed.total_pct_uncapped
    from recomputed
    inner join frozen_months on frozen_months.nip = recomputed.nip and frozen_months.month = recomputed.month
)

select * from locked_months
