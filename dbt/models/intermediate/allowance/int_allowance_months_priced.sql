-- The monthly rule (DESIGN §6) in one place: total_pct = least(the cap of the policy valid in the
-- month, Σ daily percent); deduction = round-half-up(base × total_pct / 100) in whole rupiah
-- (macros/deduction_rupiah.sql); net = base − deduction. For two kinds of employee-month:
--   open months (is_locked_month = false): int_attendance_monthly, base = the current tunjangan_pokok;
--     the rows of fct_allowance_deduction_monthly;
--   locked months as they would be today (true): int_locked_months_recomputed, base as frozen; what
--     fct_allowance_adjustment compares with what was paid. They carry no day counts (null).
--     A locked month the employee is no longer employed in (is_employed false: ended retroactively)
--     is owed nothing: total_pct 100 %, deduction = base, net 0 (CONTRACTS "Money after a lock").
-- Components (seed policy_components): the attendance percent applies to the component that takes
-- attendance (discipline_amount = round-half-up(base × its share), the whole base for `utuh`) and is
-- capped at it: discipline_deduction = round-half-up(discipline_amount × total_pct / 100). The rest of
-- the base is the productivity part (performance_amount, paid in full until a score exists; 0 for
-- `utuh`). deduction = discipline_deduction + (productivity part − performance_amount) +
-- sanction_deduction (0: no sanction effect yet). For `utuh` this is exactly today's deduction.
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

policy_components as (
    select * from {{ ref('policy_components') }}
),

-- the share of the base the attendance deductions apply to, per policy (100 when no component row)
attendance_shares as (
    select
        policy_id,
        sum(share_pct) filter (where takes_attendance) as discipline_share_pct
    from policy_components
    group by policy_id
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

components as (
    select
        capped.*,
        {{ deduction_rupiah('capped.base_amount', 'coalesce(attendance_shares.discipline_share_pct, 100.00)') }}
            as discipline_amount
    from capped
    left join attendance_shares on attendance_shares.policy_id = capped.policy_id
),

parts as (
    select
        components.*,
        {{ deduction_rupiah('components.discipline_amount', 'components.total_pct') }} as discipline_deduction,
        case
            when components.is_employed then components.base_amount - components.discipline_amount
            else 0
        end as performance_amount,
        0::bigint as sanction_deduction
    from components
),

priced as (
    select
        parts.*,
        parts.discipline_deduction
        + (parts.base_amount - parts.discipline_amount - parts.performance_amount)
        + parts.sanction_deduction as deduction_amount,
        parts.base_amount
        - (
            parts.discipline_deduction
            + (parts.base_amount - parts.discipline_amount - parts.performance_amount)
            + parts.sanction_deduction
        ) as net_amount
    from parts
)

select * from priced
