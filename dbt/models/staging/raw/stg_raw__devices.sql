-- Current device registry: for each device_sn, the row of the newest counted batch (ok, not
-- retracted) that carries it.
with source as (
    select * from {{ source('raw', 'device') }}
    where
        batch_id in (select batch_id from {{ source('raw', 'ingest_batch') }} where status = 'ok')
        and batch_id not in (select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions)
),

current_rows as (
    select distinct on (device_sn) *
    from source
    order by device_sn, batch_id desc, row_no desc
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
