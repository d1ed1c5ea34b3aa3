-- One row per punch. raw.device_punch already refuses a second row with the same natural key
-- (device_sn, device_pin, punch_local), so deduplication is the database's constraint; this view
-- only types and trims (a PIN typed as ' 0042' on one device and '0042' on another is the same PIN).
with source as (
    select * from {{ source('raw', 'device_punch') }}
),

renamed as (
    select
        device_sn,
        btrim(device_pin) as device_pin,
        punch_local,
        punch_local::date as punch_date,
        verify_type,
        punch_state,
        work_code,
        source as punch_source,
        batch_id,
        received_at
    from source
)

select * from renamed
