-- Current device registry: for each device_sn, the row of the newest counted batch (ok, not
-- retracted) that carries it.
with source as (
    select devices.* from {{ source('raw', 'device') }} as devices
    where
        devices.batch_id in (
            select batches.batch_id from {{ source('raw', 'ingest_batch') }} as batches
            where batches.status = 'ok'
        )
        and devices.batch_id not in (
            select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions
        )
),

current_rows as (
    select distinct on (device_sn) *
    from source
    order by device_sn asc, batch_id desc, row_no desc
),

renamed as (
    select
        device_sn,
        name as device_name,
        opd_code,
        host,
        port,
        protocol,
        coalesce(nullif(btrim(timezone), ''), '{{ var("timezone") }}') as timezone,
        active as is_active,
        batch_id
    from current_rows
)

select * from renamed
