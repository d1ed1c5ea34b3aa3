-- What PP 94/2021 does to an employee's pay, per employee-month it covers (issue 20), when the
-- regency switches it on (seed sanction_settings; both off by default):
--   sanction_cut_pct (apply_sanction_cut): the level reached by the calendar year's cumulative TK
--     days (seed sanction_levels) cuts the allowance by sanction_effects.cut_pct for its months,
--     from the month after the month the level was reached (crossing into the next year); a higher
--     level reached later starts its own cut; overlapping cuts do not add up (the highest counts);
--   is_pay_stopped (stop_pay_after_consecutive_tk): the month after the day a run of consecutive TK
--     workdays reached consecutive_tk_workdays (int_discipline_tk_runs; Pasal 11 and 15).
-- Only employee types PP 94/2021 covers (seed sanction_coverage). TK days are final days only; a
-- locked month counts as it was paid.
with monthly as (
    select * from {{ ref('int_attendance_monthly') }}
),

frozen_months as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

tk_runs as (
    select * from {{ ref('int_discipline_tk_runs') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
),

sanction_coverage as (
    select * from {{ ref('sanction_coverage') }}
),

sanction_levels as (
    select * from {{ ref('sanction_levels') }}
),

sanction_effects as (
    select * from {{ ref('sanction_effects') }}
),

sanction_settings as (
    select * from {{ ref('sanction_settings') }}
),

covered as (
    select employees.nip
    from employees
    inner join sanction_coverage
        on sanction_coverage.jenis_pegawai = employees.jenis_pegawai and sanction_coverage.covered
),

month_tk as (
    select
        monthly.nip,
        monthly.month,
        monthly.days_tk
    from monthly
    where monthly.month not in (select month_locks.month from month_locks)
    union all
    select
        frozen_months.nip,
        frozen_months.month,
        frozen_months.days_tk
    from frozen_months
),

cumulative as (
    select
        month_tk.nip,
        month_tk.month,
        sum(month_tk.days_tk) over (
            partition by month_tk.nip, extract(year from month_tk.month)
            order by month_tk.month
            rows unbounded preceding
        ) as tk_days_to_date
    from month_tk
    where
        month_tk.nip in (select covered.nip from covered)
        and (select bool_or(sanction_settings.apply_sanction_cut) from sanction_settings)
),

leveled as (
    select
        cumulative.nip,
        cumulative.month,
        sanction_levels.level,
        lag(sanction_levels.level) over (
            partition by cumulative.nip, extract(year from cumulative.month) order by cumulative.month
        ) as level_before
    from cumulative
    inner join sanction_levels
        on
            cumulative.tk_days_to_date
            between sanction_levels.min_tk_days and coalesce(sanction_levels.max_tk_days, 2147483647)
),

-- a level reached in a month (higher than the month before, in the same year) starts its cut
cuts as (
    select
        leveled.nip,
        leveled.month as reached_in,
        leveled.level,
        sanction_effects.cut_pct,
        covered_month::date as month
    from leveled
    inner join sanction_effects on sanction_effects.level = leveled.level
    cross join
        lateral generate_series(
            leveled.month + interval '1 month',
            leveled.month + make_interval(months => sanction_effects.months),
            interval '1 month'
        ) as covered_month
    where leveled.level > coalesce(leveled.level_before, 0)
),

cut_months as (
    select
        cuts.nip,
        cuts.month,
        max(cuts.cut_pct) as sanction_cut_pct
    from cuts
    group by cuts.nip, cuts.month
),

stopped_months as (
    select distinct
        tk_runs.nip,
        ({{ month_of('tk_runs.threshold_reached_on') }} + interval '1 month')::date as month
    from tk_runs
    where
        tk_runs.threshold_reached_on is not null
        and tk_runs.nip in (select covered.nip from covered)
        and (select bool_or(sanction_settings.stop_pay_after_consecutive_tk) from sanction_settings)
)

select
    -- identifiers
    coalesce(cut_months.nip, stopped_months.nip)::text as nip,
    coalesce(cut_months.month, stopped_months.month)::date as month,
    -- facts
    coalesce(cut_months.sanction_cut_pct, 0)::numeric(5, 2) as sanction_cut_pct,
    (stopped_months.nip is not null) as is_pay_stopped
from cut_months
full outer join stopped_months
    on stopped_months.nip = cut_months.nip and stopped_months.month = cut_months.month
