{{ config(
    materialized='table',
    indexes=[{'columns': ['nip', 'work_date']}],
    post_hook='analyze {{ this }}',
    pre_hook='set local enable_nestloop = off',
) }}
-- No nested loops (issue 21): the rosters and the punches are bounded by scalar subqueries, so their row
-- counts are guesses (2 roster rows for 192,000 at 30,000 employees); on such a guess PostgreSQL
-- compared every unscoped neighbour day with every roster row of the month, a statement that did not end
-- in 10 minutes. Every join here is an equality on large sets: hash joins are right at every size.
-- A table (issue 21), built once per run from the run's scope: the priced days read it directly and
-- again through int_attendance_day_pending, and as a view every reader attributed the same punches
-- anew (two of the facts' 3.3 s at 8,000 employees).
-- Per scoped employee-day: the first and last punch that belongs to the day, from any device, and the
-- devices punched (the day also depends on their coverage, int_attendance_days_priced).
-- Punches with impossible clocks or unknown PINs never count (they wait in the q_* views).
-- Which day a punch belongs to (issue 14): a regular day (REG) takes the punches of its calendar
-- date, exactly as before rosters existed. For an employee with a rostered shift among the days
-- looked at, a punch belongs to the day whose window (int_attendance_scope.window_open_at ..
-- window_close_at) holds it; where windows of that person overlap (a night shift's check-out margin
-- and the next morning's check-in margin), to the day with a boundary (start or end of its schedule)
-- nearest to the punch; on a tie, the day whose schedule holds
-- the punch, then the earlier day. Neighbouring days outside this run's scope (the
-- rostered shift or regular workday before and after a scoped shift) compete for the punches too, so
-- a partial run attributes exactly as a full one. A punch in no window is never counted
-- (marts.q_punch_outside_shift).
with scope as (
    select * from {{ ref('int_attendance_scope') }}
),

shift_days as (
    select * from {{ ref('int_employee_shift_days') }}
    -- bounds as scalar subqueries: the roster index finds the scoped dates and their neighbours
    where
        work_date >= (select min(scope.work_date) from scope) - 1
        and work_date <= (select max(scope.work_date) from scope) + 1
),

calendar as (
    select * from {{ ref('int_calendar_workdays') }}
),

punches as (
    select punches_matched.*
    from {{ ref('int_punches_matched') }} as punches_matched
    where
        -- bounds as scalar subqueries so the scan uses the punch_local index
        punches_matched.punch_local >= (select min(scope.window_open_at) from scope)
        and punches_matched.punch_local < (select max(scope.window_close_at) from scope)
        and punches_matched.nip is not null
        and not punches_matched.is_impossible_clock
),

neighbour_offsets as (
    select -1 as day_offset
    union all
    select 1 as day_offset
),

punch_offsets as (
    select day_offset from neighbour_offsets
    union all
    select 0 as day_offset
),

-- the days that may take a punch: every scoped day, and the unscoped neighbours of scoped days that
-- can overlap them (a rostered shift next to any day; a regular workday next to a rostered shift)
scoped_windows as (
    select
        scope.nip,
        scope.work_date,
        scope.shift_code,
        scope.work_date + scope.schedule_in as start_at,
        scope.work_date + scope.schedule_out
        + case when scope.schedule_out <= scope.schedule_in then interval '1 day' else interval '0' end as end_at,
        scope.window_open_at,
        scope.window_close_at,
        true as is_scoped
    from scope
),

-- the dates before and after every scoped day, as keys (equality joins on (nip, work_date): joined through
-- a cross join of day offsets, PostgreSQL matched every scoped day with every roster row of the person
-- first, 3.2 M rows for 180,000 at 30,000 employees, issue 21)
neighbour_keys as (
    select
        scope.nip,
        scope.calendar_id,
        scope.shift_code as scoped_shift_code,
        scope.work_date + neighbour_offsets.day_offset as work_date
    from scope
    cross join neighbour_offsets
),

neighbour_shifts as (
    select distinct
        shift_days.nip,
        shift_days.work_date,
        shift_days.shift_code,
        shift_days.schedule_start_at as start_at,
        shift_days.schedule_end_at as end_at,
        shift_days.window_open_at,
        shift_days.window_close_at,
        false as is_scoped
    from neighbour_keys
    inner join shift_days
        on
            shift_days.nip = neighbour_keys.nip
            and shift_days.work_date = neighbour_keys.work_date
    where
        not shift_days.is_day_off
        and not exists (
            select 1 from scope as scoped
            where scoped.nip = shift_days.nip and scoped.work_date = shift_days.work_date
        )
),

neighbour_regular_days as (
    select distinct
        neighbour_keys.nip,
        calendar.work_date,
        'REG'::text as shift_code,
        calendar.work_date + calendar.schedule_in as start_at,
        calendar.work_date + calendar.schedule_out as end_at,
        calendar.work_date::timestamp as window_open_at,
        (calendar.work_date + 1)::timestamp as window_close_at,
        false as is_scoped
    from neighbour_keys
    inner join calendar
        on
            calendar.calendar_id = neighbour_keys.calendar_id
            and calendar.work_date = neighbour_keys.work_date
    where
        neighbour_keys.scoped_shift_code <> 'REG'
        and not exists (
            select 1 from shift_days
            where shift_days.nip = neighbour_keys.nip and shift_days.work_date = calendar.work_date
        )
        and not exists (
            select 1 from scope as scoped
            where scoped.nip = neighbour_keys.nip and scoped.work_date = calendar.work_date
        )
),

candidate_days as (
    select * from scoped_windows
    union all
    select * from neighbour_shifts
    union all
    select * from neighbour_regular_days
),

-- employees whose punches are attributed by window (a rostered shift among their candidate days)
shift_employees as (
    select distinct candidate_days.nip
    from candidate_days
    where candidate_days.shift_code <> 'REG'
),

-- everyone else: the punches of the calendar date, as without rosters
calendar_day_punches as (
    select
        scope.nip,
        scope.work_date,
        punches.device_sn,
        punches.punch_local
    from punches
    inner join scope
        on
            scope.nip = punches.nip
            and scope.work_date = punches.punch_date
    where not exists (
        select 1 from shift_employees
        where shift_employees.nip = punches.nip
    )
),

window_candidates as (
    select
        punches.nip,
        candidate_days.work_date,
        candidate_days.is_scoped,
        punches.device_sn,
        punches.punch_local,
        row_number() over (
            partition by punches.nip, punches.device_sn, punches.device_pin, punches.punch_local
            order by
                least(
                    abs(extract(epoch from (punches.punch_local - candidate_days.start_at))),
                    abs(extract(epoch from (punches.punch_local - candidate_days.end_at)))
                ),
                -- a tie (a night shift ending where the morning one starts): the day whose schedule holds it
                (punches.punch_local between candidate_days.start_at and candidate_days.end_at) desc,
                candidate_days.work_date
        ) as nearest_rank
    from punches
    inner join shift_employees on shift_employees.nip = punches.nip
    cross join punch_offsets
    inner join candidate_days
        on
            candidate_days.nip = punches.nip
            and candidate_days.work_date = punches.punch_date + punch_offsets.day_offset
    where
        punches.punch_local >= candidate_days.window_open_at
        and punches.punch_local < candidate_days.window_close_at
),

window_punches as (
    select
        window_candidates.nip,
        window_candidates.work_date,
        window_candidates.device_sn,
        window_candidates.punch_local
    from window_candidates
    where window_candidates.nearest_rank = 1 and window_candidates.is_scoped
),

day_punches as (
    select * from calendar_day_punches
    union all
    select * from window_punches
),

punch_days as (
    select
        day_punches.nip,
        day_punches.work_date,
        min(day_punches.punch_local) as first_punch,
        max(day_punches.punch_local) as last_punch,
        count(*)::integer as punch_count,
        count(distinct day_punches.device_sn)::integer as device_count,
        -- comma-separated (a text column: unit-test fixtures cannot mock arrays)
        string_agg(distinct day_punches.device_sn, ',' order by day_punches.device_sn) as punch_devices
    from day_punches
    group by day_punches.nip, day_punches.work_date
)

select * from punch_days
