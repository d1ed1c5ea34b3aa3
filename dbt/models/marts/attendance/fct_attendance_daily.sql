-- depends_on: {{ ref('int_attendance_touched') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}, {'columns': ['work_date']}],
    pre_hook=[
        "{% if is_incremental() %}{{ partition_by_month(this, 'work_date', 'months',
            'select min(date_from), max(date_to) from ' ~ ref('int_attendance_touched')) }}{% endif %}",
        "{% if is_incremental() %}
         delete from {{ this }} as facts
         using {{ ref('int_attendance_touched') }} as touched
         where touched.nip is null
           and facts.work_date between touched.date_from and touched.date_to
           and not exists (select 1 from {{ source('ops', 'month_lock') }} as locks
                           where locks.month = date_trunc('month', facts.work_date)::date)
         {% endif %}",
        "{% if is_incremental() %}
         delete from {{ this }} as facts
         using {{ ref('int_attendance_touched') }} as touched
         where touched.nip = facts.nip
           and facts.work_date between touched.date_from and touched.date_to
           and not exists (select 1 from {{ source('ops', 'month_lock') }} as locks
                           where locks.month = date_trunc('month', facts.work_date)::date)
         {% endif %}",
    ],
    post_hook=[
        "{% if not is_incremental() %}{{ partition_by_month(this, 'work_date', 'convert') }}{% endif %}",
        "create index if not exists fct_attendance_daily_menunggu_idx on {{ this }} (work_date)
         where status = 'MENUNGGU'",
    ],
) }}
-- One row per employee per scheduled workday while active (DESIGN §5). Incremental: each run
-- deletes and recomputes only the days int_attendance_touched names; days of locked months are
-- never deleted, and a full refresh takes them from the close's snapshot (ops.locked_attendance_daily).
-- The watermark (ops.transform_state) moves at the end of a build that built every incremental model
-- (macros/record_transform_state.sql), never here: a kill before int_attendance_monthly loses nothing.
-- A day not known yet is MENUNGGU (issue 13); every run recomputes the dates that still have such
-- rows (int_attendance_touched 'pending'), so a backlog turns them into their real status once.
-- Rosters (issue 14): shift_code is the day's shift (REG = the regular day); work_date is the day the
-- shift starts, so first_in/last_out of a night shift may fall on the next calendar day.
{%- if not is_incremental() %}{{ check_scope_is_full() }}{% endif %}

with days as (
    select * from {{ ref('int_attendance_days_priced') }}
),

-- the rules: int_attendance_days_priced; a locked month's days are frozen, never recomputed here
open_days as (
    select
        days.nip,
        days.work_date,
        days.opd_code,
        days.policy_id,
        days.schedule_in,
        days.schedule_out,
        days.first_in,
        days.last_out,
        days.late_minutes,
        days.early_minutes,
        days.tl_tier,
        days.psw_tier,
        days.status,
        days.deduction_pct,
        days.reason,
        days.pending_devices,
        days.shift_code
    from days
    where not days.is_locked_month
)

select * from open_days
{% if not is_incremental() %}
-- a full refresh takes the days of locked months from the close's snapshot
union all
select
    locked_days.nip,
    locked_days.work_date,
    locked_days.opd_code,
    locked_days.policy_id,
    locked_days.schedule_in,
    locked_days.schedule_out,
    locked_days.first_in,
    locked_days.last_out,
    locked_days.late_minutes,
    locked_days.early_minutes,
    locked_days.tl_tier,
    locked_days.psw_tier,
    locked_days.status,
    locked_days.deduction_pct,
    locked_days.reason,
    null::text as pending_devices,
    locked_days.shift_code
from {{ source('ops', 'locked_attendance_daily') }} as locked_days
{% endif %}
