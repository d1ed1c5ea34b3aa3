-- Per scoped employee-day: the leave letter covering it, if any. When two letters overlap, the one
-- that starts later wins (it was written later, for the narrower case).
with scope as (
    select * from {{ ref('int_attendance_scope') }}
),

leaves as (
    select * from {{ ref('stg_raw__leaves') }}
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

select * from leave_days
