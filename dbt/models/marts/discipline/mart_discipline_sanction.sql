-- Per employee per calendar year: cumulative TK days and the PP 94/2021 level reached.
-- Reads the monthly deduction mart, so a locked month counts as it was paid.
with monthly as (
    select * from {{ ref('fct_allowance_deduction_monthly') }}
),

sanction_levels as (
    select * from {{ ref('sanction_levels') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

yearly as (
    select
        monthly.nip,
        extract(year from monthly.month)::integer as year,
        sum(monthly.days_tk)::integer as tk_days,
        max(monthly.month)::date as through_month
    from monthly
    group by monthly.nip, extract(year from monthly.month)
)

select
    -- identifiers
    yearly.nip::text as nip,
    yearly.year,
    -- dimensions
    employees.opd_code::text as opd_code,
    employees.nama::text as nama,
    -- facts
    yearly.tk_days,
    yearly.through_month,
    sanction_levels.level::integer as sanction_level,
    sanction_levels.sanction::text as sanction,
    sanction_levels.category::text as sanction_category
from yearly
left join employees on employees.nip = yearly.nip
inner join sanction_levels
    on yearly.tk_days between sanction_levels.min_tk_days and coalesce(sanction_levels.max_tk_days, 2147483647)
