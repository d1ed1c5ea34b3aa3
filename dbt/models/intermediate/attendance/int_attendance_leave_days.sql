-- Per scoped employee-day: the leave letter covering it, if any. When two letters overlap, the one
-- that starts later wins (it was written later, for the narrower case).
-- leave_day_no (issue 20, rules by duration in policy_leave.from_day): the calendar day of the day
-- within its run of leave of the same type — back-to-back or overlapping letters of the same type
-- (the next starts at the latest the day after the previous ends) are one run, so a renewed sick
-- letter continues the count. Day 1 is the first day of the run's first letter.
with scope as (
    select * from {{ ref('int_attendance_scope') }}
),

leaves as (
    select * from {{ ref('stg_raw__leaves') }}
),

-- the letters of the scoped employees (a run may start before the scope)
scoped_letters as (
    select
        leaves.nip,
        leaves.leave_type,
        leaves.leave_start,
        leaves.leave_end
    from leaves
    where leaves.nip in (select scope.nip from scope)
),

letter_starts as (
    select
        scoped_letters.*,
        coalesce(
            scoped_letters.leave_start > max(scoped_letters.leave_end) over earlier_letters + 1, true
        ) as starts_run
    from scoped_letters
    window earlier_letters as (
        partition by scoped_letters.nip, scoped_letters.leave_type
        order by scoped_letters.leave_start, scoped_letters.leave_end
        rows between unbounded preceding and 1 preceding
    )
),

letter_runs as (
    select
        letter_starts.*,
        sum(letter_starts.starts_run::integer) over (
            partition by letter_starts.nip, letter_starts.leave_type
            order by letter_starts.leave_start, letter_starts.leave_end
            rows unbounded preceding
        ) as run_no
    from letter_starts
),

runs as (
    select
        letter_runs.nip,
        letter_runs.leave_type,
        letter_runs.run_no,
        min(letter_runs.leave_start) as run_start,
        max(letter_runs.leave_end) as run_end
    from letter_runs
    group by letter_runs.nip, letter_runs.leave_type, letter_runs.run_no
),

leave_days as (
    select distinct on (scope.nip, scope.work_date)
        scope.nip,
        scope.work_date,
        leaves.leave_type,
        leaves.leave_start,
        leaves.leave_end,
        leaves.nomor_surat
    from scope
    inner join leaves
        on
            leaves.nip = scope.nip
            and scope.work_date between leaves.leave_start and leaves.leave_end
    order by scope.nip asc, scope.work_date asc, leaves.leave_start desc, leaves.batch_id desc
)

select
    leave_days.nip,
    leave_days.work_date,
    leave_days.leave_type,
    leave_days.leave_start,
    leave_days.leave_end,
    leave_days.nomor_surat,
    (leave_days.work_date - runs.run_start + 1)::integer as leave_day_no
from leave_days
left join runs
    on
        runs.nip = leave_days.nip
        and runs.leave_type = leave_days.leave_type
        and leave_days.work_date between runs.run_start and runs.run_end
