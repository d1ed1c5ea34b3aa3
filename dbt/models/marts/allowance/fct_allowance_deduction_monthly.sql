-- One row per employee per month with a workday (DESIGN §5, exact contract): what finance pays.
-- Deductions come from final days only; a month with MENUNGGU days (days_menunggu > 0) is not
-- complete (is_complete false): the close refuses it and the export needs --allow-incomplete.
-- Open months are computed from the daily facts; locked months are read from the close's snapshot
-- (ops.locked_deduction_monthly) and never change. Corrections of locked months are in
-- fct_allowance_adjustment.
-- The parts (discipline_amount, discipline_deduction, performance_amount, sanction_deduction) come
-- from policy_components; deduction_amount = discipline_deduction + (base − discipline_amount −
-- performance_amount) + sanction_deduction. Locked rows carry null parts (the snapshot has none).
-- performance_score: the month's e-kinerja score (policies with a `kinerja` component; null when none
-- is imported: that part is not paid and the month is not complete). sanction_cut_pct and
-- is_pay_stopped: int_sanction_effects (PP 94/2021; off unless seed sanction_settings enables them).
with priced_months as (
    select * from {{ ref('int_allowance_months_priced') }}
),

locked_rows as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

-- the cap and the rounding: int_allowance_months_priced
computed as (
    select
        -- identifiers
        priced_months.nip::text as nip,
        priced_months.month::date as month,
        -- dimensions
        priced_months.opd_code::text as opd_code,
        priced_months.policy_id::text as policy_id,
        -- facts
        priced_months.base_amount::bigint as base_amount,
        priced_months.workdays::integer as workdays,
        priced_months.days_hadir::integer as days_hadir,
        priced_months.days_tk::integer as days_tk,
        priced_months.days_leave::integer as days_leave,
        priced_months.days_menunggu::integer as days_menunggu,
        priced_months.total_pct_uncapped::numeric(8, 2) as total_pct_uncapped,
        priced_months.total_pct::numeric(8, 2) as total_pct,
        priced_months.discipline_amount::bigint as discipline_amount,
        priced_months.discipline_deduction::bigint as discipline_deduction,
        priced_months.performance_amount::bigint as performance_amount,
        priced_months.sanction_deduction::bigint as sanction_deduction,
        priced_months.deduction_amount::bigint as deduction_amount,
        priced_months.net_amount::bigint as net_amount,
        priced_months.performance_score::numeric(5, 2) as performance_score,
        priced_months.sanction_cut_pct::numeric(5, 2) as sanction_cut_pct,
        priced_months.is_pay_stopped,
        -- metadata
        false as is_locked,
        -- final days only, and the productivity part known (a score imported when the policy needs one)
        (priced_months.days_menunggu = 0 and priced_months.is_performance_known) as is_complete
    from priced_months
    where not priced_months.is_locked_month
),

frozen as (
    select
        nip::text as nip,
        month::date as month,
        opd_code::text as opd_code,
        policy_id::text as policy_id,
        base_amount::bigint as base_amount,
        workdays::integer as workdays,
        days_hadir::integer as days_hadir,
        days_tk::integer as days_tk,
        days_leave::integer as days_leave,
        0::integer as days_menunggu,
        total_pct_uncapped::numeric(8, 2) as total_pct_uncapped,
        total_pct::numeric(8, 2) as total_pct,
        -- the close's snapshot has no parts (ops.locked_deduction_monthly predates them)
        null::bigint as discipline_amount,
        null::bigint as discipline_deduction,
        null::bigint as performance_amount,
        null::bigint as sanction_deduction,
        deduction_amount::bigint as deduction_amount,
        net_amount::bigint as net_amount,
        null::numeric(5, 2) as performance_score,
        null::numeric(5, 2) as sanction_cut_pct,
        null::boolean as is_pay_stopped,
        true as is_locked,
        -- the close refuses a month with MENUNGGU days
        true as is_complete
    from locked_rows
)

select * from computed
union all
select * from frozen
