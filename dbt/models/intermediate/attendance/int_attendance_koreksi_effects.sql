-- depends_on: {{ ref('int_attendance_touched') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}],
    pre_hook=[
        "{% if is_incremental() %}
         delete from {{ this }} as effects
         using {{ ref('int_attendance_touched') }} as touched
         where (touched.nip is null or touched.nip = effects.nip)
           and effects.work_date between touched.date_from and touched.date_to
         {% endif %}",
    ],
) }}
-- Issue 15: every employee-day an approved correction changes, before (int_attendance_days_uncorrected)
-- and after (int_attendance_days_priced) it, open and locked months alike, for the days this run
-- computes (all on a full refresh); marts.mart_correction_log reads it.
with after_days as (
    select * from {{ ref('int_attendance_days_priced') }}
),

before_days as (
    select * from {{ ref('int_attendance_days_uncorrected') }}
)

select
    before_days.nip,
    before_days.work_date,
    before_days.is_locked_month,
    before_days.status as status_before,
    before_days.deduction_pct as pct_before,
    before_days.reason as reason_before,
    after_days.status as status_after,
    after_days.deduction_pct as pct_after,
    after_days.reason as reason_after
from before_days
inner join after_days on after_days.nip = before_days.nip and after_days.work_date = before_days.work_date
