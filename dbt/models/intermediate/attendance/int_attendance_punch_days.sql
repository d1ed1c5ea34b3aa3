-- Per scoped employee-day: the first and last punch whose local date is that day, from any device,
-- and the devices punched (the day also depends on their coverage, int_attendance_days_priced).
-- Punches with impossible clocks or unknown PINs never count (they wait in the q_* views).
with scope as (
    select * from {{ ref('int_attendance_scope') }}
),

punches as (
    select punches_matched.*
    from {{ ref('int_punches_matched') }} as punches_matched
    where
        -- bounds as scalar subqueries so the scan uses the punch_local index
        punches_matched.punch_local >= (select min(scope.work_date) from scope)::timestamp
        and punches_matched.punch_local < ((select max(scope.work_date) from scope) + 1)::timestamp
        and punches_matched.nip is not null
        and not punches_matched.is_impossible_clock
),

punch_days as (
    select
        scope.nip,
        scope.work_date,
        min(punches.punch_local) as first_punch,
        max(punches.punch_local) as last_punch,
        count(*)::integer as punch_count,
        count(distinct punches.device_sn)::integer as device_count,
        -- comma-separated (a text column: unit-test fixtures cannot mock arrays)
        string_agg(distinct punches.device_sn, ',' order by punches.device_sn) as punch_devices
    from punches
    inner join scope
        on
            scope.nip = punches.nip
            and scope.work_date = punches.punch_date
    group by scope.nip, scope.work_date
)

select * from punch_days
