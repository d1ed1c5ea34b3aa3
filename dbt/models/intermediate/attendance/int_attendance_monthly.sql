-- depends_on: {{ ref('int_attendance_touched') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['nip', 'month'], 'unique': true}, {'columns': ['month']}],
    pre_hook=[
        "{% if is_incremental() %}
         delete from {{ this }} as monthly
         using {{ ref('int_attendance_touched') }} as touched
         where touched.nip is null
           and monthly.month between date_trunc('month', touched.date_from)::date and touched.date_to
         {% endif %}",
        "{% if is_incremental() %}
         delete from {{ this }} as monthly
         using {{ ref('int_attendance_touched') }} as touched
         where touched.nip = monthly.nip
           and monthly.month between date_trunc('month', touched.date_from)::date and touched.date_to
         {% endif %}",
    ],
) }}
-- Per employee per month: the day counts and the uncapped percent sum of fct_attendance_daily
-- (MENUNGGU days count in workdays and days_menunggu and carry 0 %: deductions come from final days).
-- Incremental: only the months (of every employee, or of one employee) that this run touched.
{%- if is_incremental() %}
-- Issue 21: the touched months first (a few rows an hour), then only their facts, read through the
-- facts' (work_date) and (nip, work_date) indexes. `materialized` so PostgreSQL computes them before
-- the joins whatever its estimates of a generated series; the two halves are disjoint by
-- construction, so `union all` and no de-duplication of whole rows.
with touched_months as materialized (
    select distinct
        touched.nip,
        month_start::date as month
    from {{ ref('int_attendance_touched') }} as touched
    cross join lateral generate_series(
        date_trunc('month', touched.date_from), touched.date_to, interval '1 month'
    ) as month_start
),

-- months recomputed for every employee
everyone_months as materialized (
    select distinct touched_months.month
    from touched_months
    where touched_months.nip is null
),

-- months of employees touched one by one, not already recomputed for everyone
employee_months as materialized (
    select
        touched_months.nip,
        touched_months.month
    from touched_months
    where
        touched_months.nip is not null
        and touched_months.month not in (select everyone_months.month from everyone_months)
),

scoped_daily as (
    select
        facts.*,
        everyone_months.month
    from everyone_months
    inner join {{ ref('fct_attendance_daily') }} as facts
        on
            facts.work_date >= everyone_months.month
            and facts.work_date < (everyone_months.month + interval '1 month')::date
    union all
    select
        facts.*,
        employee_months.month
    from employee_months
    inner join {{ ref('fct_attendance_daily') }} as facts
        on
            facts.nip = employee_months.nip
            and facts.work_date >= employee_months.month
            and facts.work_date < (employee_months.month + interval '1 month')::date
),
{% else %}
with scoped_daily as (
    select
        facts.*,
        {{ month_of('facts.work_date') }} as month
    from {{ ref('fct_attendance_daily') }} as facts
),
{% endif %}

last_day as (
    select distinct on (nip, month)
        nip,
        month,
        opd_code,
        policy_id
    from scoped_daily
    order by nip asc, month asc, work_date desc
),

monthly as (
    select
        -- identifiers
        scoped_daily.nip,
        scoped_daily.month,
        -- facts
        count(*)::integer as workdays,
        (count(*) filter (where scoped_daily.status = 'HADIR'))::integer as days_hadir,
        (count(*) filter (where scoped_daily.status = 'TK'))::integer as days_tk,
        (count(*) filter (where scoped_daily.status in ('CUTI', 'SAKIT', 'IZIN', 'DL', 'TB')))::integer as days_leave,
        (count(*) filter (where scoped_daily.status = 'MENUNGGU'))::integer as days_menunggu,
        (count(*) filter (
            where scoped_daily.status = 'HADIR' and scoped_daily.tl_tier = 0 and scoped_daily.psw_tier = 0
        ))::integer as days_on_time,
        (count(*) filter (where scoped_daily.status = 'HADIR' and scoped_daily.tl_tier > 0))::integer as days_late,
        (count(*) filter (where scoped_daily.status = 'HADIR' and scoped_daily.psw_tier > 0))::integer
            as days_early_leave,
        sum(scoped_daily.deduction_pct)::numeric(8, 2) as total_pct_uncapped
    from scoped_daily
    group by scoped_daily.nip, scoped_daily.month
)

select
    monthly.nip,
    monthly.month,
    last_day.opd_code,
    last_day.policy_id,
    monthly.workdays,
    monthly.days_hadir,
    monthly.days_tk,
    monthly.days_leave,
    monthly.days_menunggu,
    monthly.days_on_time,
    monthly.days_late,
    monthly.days_early_leave,
    monthly.total_pct_uncapped
from monthly
inner join last_day on last_day.nip = monthly.nip and last_day.month = monthly.month
