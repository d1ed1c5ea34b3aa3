with source as (
    select * from {{ source('raw', 'ingest_batch') }}
),

renamed as (
    select
        batch_id,
        kind,
        device_sn,
        source_file,
        status,
        started_at,
        finished_at,
        records_read,
        records_new,
        device_time,
        server_time,
        clock_skew_seconds,
        error,
        kind in ('pull', 'usb', 'push') as is_punch_batch
    from source
)

select * from renamed
