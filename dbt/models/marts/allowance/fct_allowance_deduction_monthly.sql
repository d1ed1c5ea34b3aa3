-- One row per employee per month with a workday (DESIGN §5, exact contract): what finance pays.
-- Open months are computed from the daily facts; locked months are read from the close's snapshot
-- (ops.locked_deduction_monthly) and never change. Corrections of locked months are in
-- fct_allowance_adjustment.
with monthly as (
    select * from {{ ref('int_attendance_monthly') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

policies as (
    select * from {{ ref('policies') }}
),

month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

locked_rows as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

open_months as (
    select
        monthly.*,
        employees.tunjangan_pokok as base_amount,
        least(policies.monthly_cap_pct, monthly.total_pct_uncapped) as total_pct
    from monthly
    inner join employees on employees.nip = monthly.nip
    left join policies
        on
            policies.policy_id = monthly.policy_id
            and (monthly.month + interval '1 month - 1 day')::date >= policies.valid_from
            and monthly.month <= coalesce(policies.valid_to, 'infinity'::date)
    where monthly.month not in (select month_locks.month from month_locks)
),

-- rupiah rounding: macros/deduction_rupiah.sql
computed as (
    select
        -- identifiers
        open_months.nip::text as nip,
        open_months.month::date as month,
        -- dimensions
        open_months.opd_code::text as opd_code,
        open_months.policy_id::text as policy_id,
        -- facts
        open_months.base_amount::bigint as base_amount,
        open_months.workdays::integer as workdays,
        open_months.days_hadir::integer as days_hadir,
        open_months.days_tk::integer as days_tk,
        open_months.days_leave::integer as days_leave,
        open_months.total_pct_uncapped::numeric(8, 2) as total_pct_uncapped,
        open_months.total_pct::numeric(8, 2) as total_pct,
        {{ deduction_rupiah('open_months.base_amount', 'open_months.total_pct') }}::bigint as deduction_amount,
        (open_months.base_amount - {{ deduction_rupiah('open_months.base_amount', 'open_months.total_pct') }})::bigint
            as net_amount,
        -- metadata
        false as is_locked
    from open_months
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
        total_pct_uncapped::numeric(8, 2) as total_pct_uncapped,
        total_pct::numeric(8, 2) as total_pct,
        deduction_amount::bigint as deduction_amount,
        net_amount::bigint as net_amount,
        true as is_locked
    from locked_rows
)

select * from computed
union all
select * from frozen
