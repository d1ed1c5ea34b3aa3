-- Every punch with the employee it belongs to: a PIN enrolled for that device first, then a PIN
-- valid on every device. Flags clocks that cannot be true (flat battery: before 2015; ahead of the
-- server by more than a day at the time the batch was read).
with punches as (
    select * from {{ ref('stg_raw__device_punches') }}
),

pins as (
    select * from {{ ref('stg_raw__employee_pins') }}
),

devices as (
    select * from {{ ref('stg_raw__devices') }}
),

batches as (
    select * from {{ ref('stg_raw__ingest_batches') }}
),

-- The PIN-valid-on-every-device map as one jsonb object (device_pin -> nip), looked up per punch.
-- A join would be planned on the punches' row estimate, which the callers' bounds (scalar subqueries)
-- leave at a guess: on a small warehouse PostgreSQL guessed 74 punches for 14,753 and compared each
-- with every PIN in a nested loop (4.4 s of a 5 s hourly build, issue 21). A lookup costs the same
-- whatever the guess.
any_device_pins as (
    select coalesce(jsonb_object_agg(pins.device_pin, pins.nip), '{}'::jsonb) as nip_by_pin
    from pins
    where pins.device_sn is null
),

matched as (
    select
        punches.device_sn,
        punches.device_pin,
        punches.punch_local,
        punches.punch_date,
        punches.batch_id,
        punches.received_at,
        -- the map as an uncorrelated subquery: computed once, never carried in the rows
        coalesce(
            device_pin_map.nip, (select any_device_pins.nip_by_pin from any_device_pins) ->> punches.device_pin
        ) as nip,
        case
            when device_pin_map.nip is not null then 'device'
            when (select any_device_pins.nip_by_pin from any_device_pins) ? punches.device_pin then 'any_device'
        end as pin_match,
        (
            coalesce(batches.server_time, punches.received_at)
            at time zone coalesce(devices.timezone, '{{ var("timezone") }}')
        ) as server_local_at_read,
        (
            punches.punch_local < '{{ var("min_plausible_punch") }}'::timestamp
            or punches.punch_local > (
                coalesce(batches.server_time, punches.received_at)
                at time zone coalesce(devices.timezone, '{{ var("timezone") }}')
            ) + interval '1 day'
        ) as is_impossible_clock
    from punches
    left join pins as device_pin_map
        on
            device_pin_map.device_sn = punches.device_sn
            and device_pin_map.device_pin = punches.device_pin
    left join batches on batches.batch_id = punches.batch_id
    left join devices on devices.device_sn = punches.device_sn
)

select * from matched
