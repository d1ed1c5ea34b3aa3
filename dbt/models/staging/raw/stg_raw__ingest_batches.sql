-- Every batch, with its retraction if any (raw.batch_retraction). is_counted = its rows count:
-- status ok and not retracted.
with source as (
    select * from {{ source('raw', 'ingest_batch') }}
),

retractions as (
    select * from {{ source('raw', 'batch_retraction') }}
),

renamed as (
    select
        source.batch_id,
        source.kind,
        source.device_sn,
        source.source_file,
        source.status,
        source.started_at,
        source.finished_at,
        source.records_read,
        source.records_new,
        source.device_time,
        source.server_time,
        source.clock_skew_seconds,
        source.error,
        source.forced_serial,
        source.kind in ('pull', 'usb', 'push') as is_punch_batch,
        retractions.batch_id is not null as is_retracted,
        source.status = 'ok' and retractions.batch_id is null as is_counted,
        retractions.retracted_at,
        retractions.retracted_by,
        retractions.requested_by as retraction_requested_by,
        retractions.reason as retraction_reason
    from source
    left join retractions on retractions.batch_id = source.batch_id
)

select * from renamed
