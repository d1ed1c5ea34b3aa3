-- The attendance window (inclusive). Vars win; otherwise the window ends today in the regency's
-- timezone and starts on the first day of the earliest month that has a plausible punch.
with punches as (
    select * from {{ ref('stg_raw__device_punches') }}
),

earliest_punch as (
    select min(punch_local)::date as first_punch_date
    from punches
    where punch_local >= '{{ var("min_plausible_punch") }}'::timestamp
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
