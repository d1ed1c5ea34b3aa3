-- Per employee per calendar year: cumulative TK days and the PP 94/2021 level reached.
-- Reads the monthly deduction mart, so a locked month counts as it was paid. TK days are final days
-- only (MENUNGGU days are carried apart, days_menunggu); only the employee types PP 94/2021 covers
-- (seed sanction_coverage: PNS, CPNS) appear.
with monthly as (
    select * from {{ ref('fct_allowance_deduction_monthly') }}
),

sanction_levels as (
    select * from {{ ref('sanction_levels') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

sanction_coverage as (
    select * from {{ ref('sanction_coverage') }}
),

yearly as (
    select
        monthly.nip,
        extract(year from monthly.month)::integer as year,
        sum(monthly.days_tk)::integer as tk_days,
        sum(coalesce(monthly.days_menunggu, 0))::integer as days_menunggu,
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
    yearly.days_menunggu,
    yearly.through_month,
    sanction_levels.level::integer as sanction_level,
    sanction_levels.sanction::text as sanction,
    sanction_levels.category::text as sanction_category
from yearly
inner join employees on employees.nip = yearly.nip
inner join sanction_coverage
    on sanction_coverage.jenis_pegawai = employees.jenis_pegawai and sanction_coverage.covered
inner join sanction_levels
    on yearly.tk_days between sanction_levels.min_tk_days and coalesce(sanction_levels.max_tk_days, 2147483647)
