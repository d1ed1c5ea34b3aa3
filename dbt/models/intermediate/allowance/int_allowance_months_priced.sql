-- The monthly rule (DESIGN §6) in one place: total_pct = least(the cap of the policy valid in the
-- month, Σ daily percent); deduction = round-half-up(base × total_pct / 100) in whole rupiah
-- (macros/deduction_rupiah.sql); net = base − deduction. For two kinds of employee-month:
--   open months (is_locked_month = false): int_attendance_monthly, base = the current tunjangan_pokok;
--     the rows of fct_allowance_deduction_monthly;
--   locked months as they would be today (true): int_locked_months_recomputed, base as frozen; what
--     fct_allowance_adjustment compares with what was paid. They carry no day counts (null).
--     A locked month the employee is no longer employed in (is_employed false: ended retroactively)
--     is owed nothing: total_pct 100 %, deduction = base, net 0 (CONTRACTS "Money after a lock").
with monthly as (
    select * from {{ ref('int_attendance_monthly') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

recomputed_locked_months as (
    select * from {{ ref('int_locked_months_recomputed') }}
),

policies as (
    select * from {{ ref('policies') }}
),

open_months as (
    select
        monthly.nip,
        monthly.month,
        false as is_locked_month,
        monthly.opd_code,
        monthly.policy_id,
        employees.tunjangan_pokok as base_amount,
        monthly.workdays,
        monthly.days_hadir,
        monthly.days_tk,
        monthly.days_leave,
        monthly.days_menunggu,
        monthly.total_pct_uncapped,
        true as is_employed
    from monthly
    inner join employees on employees.nip = monthly.nip
    where monthly.month not in (select month_locks.month from month_locks)
),

locked_months as (
    select
        recomputed_locked_months.nip,
        recomputed_locked_months.month,
        true as is_locked_month,
        recomputed_locked_months.opd_code,
        recomputed_locked_months.policy_id,
        recomputed_locked_months.base_amount,
        null::integer as workdays,
        null::integer as days_hadir,
        null::integer as days_tk,
        null::integer as days_leave,
        null::integer as days_menunggu,
        recomputed_locked_months.total_pct_uncapped,
        coalesce(recomputed_locked_months.is_employed, true) as is_employed
    from recomputed_locked_months
),

employee_months as (
    select * from open_months
    union all
    select * from locked_months
),

-- the policy valid in the month = valid on at least one of its days
capped as (
    select
        employee_months.*,
        case
            when not employee_months.is_employed then 100.00
            else least(policies.monthly_cap_pct, employee_months.total_pct_uncapped)
        end as total_pct
    from employee_months
    left join policies
        on
            policies.policy_id = employee_months.policy_id
            and (employee_months.month + interval '1 month - 1 day')::date >= policies.valid_from
            and employee_months.month <= coalesce(policies.valid_to, 'infinity'::date)
),

priced as (
    select
        capped.*,
        {{ deduction_rupiah('capped.base_amount', 'capped.total_pct') }} as deduction_amount,
        capped.base_amount - {{ deduction_rupiah('capped.base_amount', 'capped.total_pct') }} as net_amount
    from capped
)

select * from priced
