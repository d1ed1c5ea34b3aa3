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
with daily as (
    {% if is_incremental() %}
    -- two index-friendly halves (an OR would scan all history): months touched for everyone, and
    -- the days of employees touched one by one
    select
        facts.*,
        {{ month_of('facts.work_date') }} as month
    from {{ ref('fct_attendance_daily') }} as facts
    where
        facts.work_date >= (
            select date_trunc('month', min(touched.date_from))::date
            from {{ ref('int_attendance_touched') }} as touched
            where touched.nip is null
        )
    union
    select
        facts.*,
        {{ month_of('facts.work_date') }} as month
    from {{ ref('fct_attendance_daily') }} as facts
    where
        facts.nip in (
            select touched.nip from {{ ref('int_attendance_touched') }} as touched
            where touched.nip is not null
        )
    {% else %}
    select
        facts.*,
        {{ month_of('facts.work_date') }} as month
    from {{ ref('fct_attendance_daily') }} as facts
    {% endif %}
),

{% if is_incremental() %}
touched_months as (
    select distinct
        touched.nip,
        month_start::date as month
    from {{ ref('int_attendance_touched') }} as touched
    cross join lateral generate_series(
        date_trunc('month', touched.date_from), touched.date_to, interval '1 month'
    ) as month_start
),

scoped_daily as (
    select daily.*
    from daily
    where exists (
        select 1 from touched_months
        where
            touched_months.month = daily.month
            and (touched_months.nip is null or touched_months.nip = daily.nip)
    )
),
{% else %}
scoped_daily as (
    select * from daily
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
