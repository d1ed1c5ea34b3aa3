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
-- the base is the productivity part (0 for `utuh`). A policy with a `kinerja` component pays it by the
-- month's e-kinerja score (stg_raw__kinerja): performance_amount = round-half-up(part × nilai / 100);
-- without a score the part is not known yet: not paid (performance_amount 0, performance_score null,
-- is_performance_known false; the month is not complete), never guessed. A policy without a `kinerja`
-- component pays the rest in full.
-- Sanctions (int_sanction_effects, off by default): applied after the attendance deductions, to what
-- is left: sanction_deduction = round-half-up(left × sanction_cut_pct / 100), or all of it in a month
-- whose pay is stopped (is_pay_stopped).
-- deduction = discipline_deduction + (productivity part − performance_amount) + sanction_deduction;
-- for `utuh` without sanctions this is exactly today's deduction.
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

scores as (
    select * from {{ ref('stg_raw__kinerja') }}
),

sanction_effects as (
    select * from {{ ref('int_sanction_effects') }}
),

-- the share of the base the attendance deductions apply to, per policy (100 when no component row)
attendance_shares as (
    select
        policy_id,
        sum(share_pct) filter (where takes_attendance) as discipline_share_pct,
        bool_or(component = 'kinerja') as needs_score
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
            as discipline_amount,
        coalesce(attendance_shares.needs_score, false) as needs_score,
        (case when coalesce(attendance_shares.needs_score, false) then scores.performance_score end)::numeric(5, 2)
            as performance_score,
        coalesce(sanction_effects.sanction_cut_pct, 0)::numeric(5, 2) as sanction_cut_pct,
        coalesce(sanction_effects.is_pay_stopped, false) as is_pay_stopped
    from capped
    left join attendance_shares on attendance_shares.policy_id = capped.policy_id
    left join scores on scores.nip = capped.nip and scores.month = capped.month
    left join sanction_effects on sanction_effects.nip = capped.nip and sanction_effects.month = capped.month
),

parts as (
    select
        components.*,
        {{ deduction_rupiah('components.discipline_amount', 'components.total_pct') }} as discipline_deduction,
        case
            when not components.is_employed then 0
            when not components.needs_score then components.base_amount - components.discipline_amount
            when components.performance_score is null then 0
            else
                {{ deduction_rupiah(
                    'components.base_amount - components.discipline_amount', 'components.performance_score'
                ) }}
        end as performance_amount,
        (not components.needs_score or components.performance_score is not null) as is_performance_known
    from components
),

-- what is left after the attendance deductions and the unpaid productivity part
attendance_net as (
    select
        parts.*,
        parts.discipline_amount - parts.discipline_deduction + parts.performance_amount as left_amount
    from parts
),

sanctioned as (
    select
        attendance_net.*,
        case
            when attendance_net.is_pay_stopped then attendance_net.left_amount
            else {{ deduction_rupiah('attendance_net.left_amount', 'attendance_net.sanction_cut_pct') }}
        end as sanction_deduction
    from attendance_net
),

priced as (
    select
        sanctioned.*,
        sanctioned.discipline_deduction
        + (sanctioned.base_amount - sanctioned.discipline_amount - sanctioned.performance_amount)
        + sanctioned.sanction_deduction as deduction_amount,
        sanctioned.base_amount
        - (
            sanctioned.discipline_deduction
            + (sanctioned.base_amount - sanctioned.discipline_amount - sanctioned.performance_amount)
            + sanctioned.sanction_deduction
        ) as net_amount
    from sanctioned
)

select * from priced
