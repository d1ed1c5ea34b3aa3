-- The attendance window (inclusive). Vars win; otherwise the window ends today in the regency's
-- timezone and starts on the first day of the earliest month that has a plausible punch.
{{ config(materialized='table', grants={'select': ['absensi_gate']}) }}
-- Reads raw.device_punch directly (not through staging, whose view hides the indexes). Its only
-- b-tree is the natural key (device_sn, punch_local, device_pin) — pulls stay fast because
-- punch_local itself has just a BRIN index, which cannot answer "the first punch". So: walk the
-- distinct devices on the key (a loose index scan, one probe per device), then take each device's
-- first plausible punch with one more probe.
with recursive punch_devices as (
    (
        select punches.device_sn
        from {{ source('raw', 'device_punch') }} as punches
        order by punches.device_sn
        limit 1
    )
    union all
    select (
        select punches.device_sn
        from {{ source('raw', 'device_punch') }} as punches
        where punches.device_sn > punch_devices.device_sn
        order by punches.device_sn
        limit 1
    )
    from punch_devices
    where punch_devices.device_sn is not null
),

earliest_punch as (
    select
        {% if var('attendance_start') -%}
        null::date
        {%- else -%}
        (
            select min(first_punch.punch_local)::date
            from punch_devices
            cross join lateral (
                select punches.punch_local
                from {{ source('raw', 'device_punch') }} as punches
                where
                    punches.device_sn = punch_devices.device_sn
                    and punches.punch_local >= '{{ var("min_plausible_punch") }}'::timestamp
                    -- a retracted batch's punches do not open the window (absensi batch retract)
                    and punches.batch_id not in (
                        select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions
                    )
                order by punches.punch_local
                limit 1
            ) as first_punch
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
