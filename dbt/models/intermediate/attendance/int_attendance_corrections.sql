-- depends_on: {{ ref('int_attendance_touched') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['nip', 'work_date'], 'unique': true}],
    pre_hook=[
        "{% if is_incremental() %}
         delete from {{ this }} as corrections
         using {{ ref('int_attendance_touched') }} as touched
         where (touched.nip is null or touched.nip = corrections.nip)
           and corrections.work_date between touched.date_from and touched.date_to
         {% endif %}",
    ],
) }}
-- Days of locked months recomputed from today's data, for the days new data touched (all locked
-- days on a full refresh). fct_allowance_adjustment compares them with the frozen snapshot; the
-- facts themselves never change for a locked month. A day recomputed as MENUNGGU is left out: the
-- paid value stands, neither a fine nor a refund for what is not known.
with days as (
    select * from {{ ref('int_attendance_days_priced') }}
),

locked_days as (
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
        days.reason
    from days
    -- a day not known now (MENUNGGU: a retraction took back the read that covered it) corrects
    -- nothing: what was paid stands until the device's log is known again (issue 13)
    where days.is_locked_month and days.status <> 'MENUNGGU'
)

select * from locked_days
