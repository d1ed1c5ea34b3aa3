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
-- facts themselves never change for a locked month.
with
{{ attendance_daily_rows(locked_months=true) }}

select * from daily_rows
