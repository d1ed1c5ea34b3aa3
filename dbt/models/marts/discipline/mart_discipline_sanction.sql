{{ config(materialized='table', indexes=[{'columns': ['nip', 'year'], 'unique': true}]) }}
-- A table (issue 21): computed once per run; as a view over the whole monthly pricing, each of its
-- data tests and each reader priced the year again (two tests: 2 of the hourly run's last 2.6 s).
-- Per employee per calendar year: cumulative TK days and the PP 94/2021 level reached.
-- Reads the monthly deduction mart, so a locked month counts as it was paid. TK days are final days
-- only (MENUNGGU days are carried apart, days_menunggu); only the employee types PP 94/2021 covers
-- (seed sanction_coverage: PNS, CPNS) appear.
-- longest_tk_run (issue 20): the longest run of consecutive TK workdays ending in the year
-- (int_discipline_tk_runs: a weekend or holiday between two TK days neither breaks nor counts);
-- is_consecutive_tk when it reaches seed sanction_settings.consecutive_tk_workdays (10, PP 94/2021
-- Pasal 11: "10 hari kerja berturut-turut"), and pay_stopped_from the month after it was reached
-- when the regency stops pay (stop_pay_after_consecutive_tk).
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

tk_runs as (
    select * from {{ ref('int_discipline_tk_runs') }}
),

sanction_settings as (
    select * from {{ ref('sanction_settings') }}
),

-- the longest run of consecutive TK workdays ending in each year (a run crossing New Year counts in
-- the year it ends, whole), and the day it reached the threshold first
yearly_runs as (
    select
        tk_runs.nip,
        extract(year from tk_runs.run_end)::integer as year,
        max(tk_runs.tk_workdays)::integer as longest_tk_run,
        min(tk_runs.threshold_reached_on)::date as consecutive_tk_reached_on
    from tk_runs
    group by tk_runs.nip, extract(year from tk_runs.run_end)
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
    sanction_levels.category::text as sanction_category,
    coalesce(yearly_runs.longest_tk_run, 0)::integer as longest_tk_run,
    (coalesce(yearly_runs.longest_tk_run, 0) >= sanction_settings.consecutive_tk_workdays) as is_consecutive_tk,
    yearly_runs.consecutive_tk_reached_on,
    -- the month whose pay stops (when the regency enables it; the monthly mart's is_pay_stopped)
    (case
        when sanction_settings.stop_pay_after_consecutive_tk and yearly_runs.consecutive_tk_reached_on is not null
            then {{ month_of('yearly_runs.consecutive_tk_reached_on') }} + interval '1 month'
    end)::date as pay_stopped_from
from yearly
cross join sanction_settings
left join yearly_runs on yearly_runs.nip = yearly.nip and yearly_runs.year = yearly.year
inner join employees on employees.nip = yearly.nip
inner join sanction_coverage
    on sanction_coverage.jenis_pegawai = employees.jenis_pegawai and sanction_coverage.covered
inner join sanction_levels
    on yearly.tk_days between sanction_levels.min_tk_days and coalesce(sanction_levels.max_tk_days, 2147483647)
