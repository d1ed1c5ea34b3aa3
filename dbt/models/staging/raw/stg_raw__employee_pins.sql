-- Current PIN map: for each (device_pin, device_sn or every device), the row of the newest ok batch.
-- device_sn null = the PIN is valid on every device.
with source as (
    select * from {{ ref('stg_raw__employee_pin_versions') }}
),

current_rows as (
    select distinct on (btrim(device_pin), coalesce(nullif(btrim(device_sn), ''), '')) *
    from source
    order by btrim(device_pin), coalesce(nullif(btrim(device_sn), ''), ''), batch_id desc, row_no desc
),

renamed as (
    select
        nip,
        btrim(device_pin) as device_pin,
        nullif(btrim(device_sn), '') as device_sn,
        btrim(device_pin) || '@' || coalesce(nullif(btrim(device_sn), ''), '*') as pin_key,
        batch_id
    from current_rows
)

select * from renamed
