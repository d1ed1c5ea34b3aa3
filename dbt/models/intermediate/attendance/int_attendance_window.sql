-- The attendance window (inclusive). Vars win; otherwise the window ends today in the regency's
-- timezone and starts on the first day of the earliest month that has a plausible punch.
{{ config(materialized='table') }}
-- Reads raw.device_punch directly (not through staging): through the view the planner sorts all of
-- history, on the table `order by punch_local limit 1` walks the index and reads one row.
with punches as (
    select * from {{ source('raw', 'device_punch') }}
),

earliest_punch as (
    select
        {% if var('attendance_start') -%}
        null::date
        {%- else -%}
        (
            select punches.punch_local::date
            from punches
            where punches.punch_local >= '{{ var("min_plausible_punch") }}'::timestamp
            order by punches.punch_local
            limit 1
        )
        {%- endif %} as first_punch_date
),

window_end as (
    select
        {% if var('attendance_end') -%}
        '{{ var("attendance_end") }}'::date
        {%- else -%}
        (now() at time zone '{{ var("timezone") }}')::date
        {%- endif %} as window_end
),

bounds as (
    select
        {% if var('attendance_start') -%}
        '{{ var("attendance_start") }}'::date
        {%- else -%}
        least(
            coalesce({{ month_of('earliest_punch.first_punch_date') }}, {{ month_of('window_end.window_end') }}),
            window_end.window_end
        )
        {%- endif %} as window_start,
        window_end.window_end
    from window_end
    cross join earliest_punch
)

select * from bounds
