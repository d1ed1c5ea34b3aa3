-- Active employees with no punch and no leave on their last `silent_workdays` (or more) workdays:
-- a lost finger, a wrong PIN, a device that never reports them, or someone who left.
with daily as (
    select * from {{ ref('fct_attendance_daily') }}
),

last_seen as (
    select
        nip,
        max(work_date) filter (where status <> 'TK') as last_seen_date,
        max(work_date) as last_workday
    from daily
    group by nip
),

silent as (
    select
        daily.nip,
        count(*)::integer as silent_workdays
    from daily
    inner join last_seen on last_seen.nip = daily.nip
    where daily.work_date > coalesce(last_seen.last_seen_date, '-infinity'::date)
    group by daily.nip
)

select
    silent.nip::text as nip,
    latest.opd_code::text as opd_code,
    last_seen.last_seen_date::date as last_seen_date,
    last_seen.last_workday::date as last_workday,
    silent.silent_workdays
from silent
inner join last_seen on last_seen.nip = silent.nip
inner join daily as latest on latest.nip = silent.nip and latest.work_date = last_seen.last_workday
where silent.silent_workdays >= {{ var('silent_workdays') }}
