-- One row per punch. raw.device_punch already refuses a second row with the same natural key
-- (device_sn, device_pin, punch_local), so deduplication is the database's constraint; this view
-- only types and trims (a PIN typed as ' 0042' on one device and '0042' on another is the same PIN).
-- Only punches of counted batches: a failed batch leaves no punch (its transaction rolls back), and
-- a retracted one (`absensi batch retract`, raw.batch_retraction) stops counting here.
with source as (
    select * from {{ source('raw', 'device_punch') }}
    where batch_id not in (select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions)
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
