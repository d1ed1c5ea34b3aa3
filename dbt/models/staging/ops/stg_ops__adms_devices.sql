-- What the ADMS push receiver last heard from each push device (ops.adms_device, migration 0008):
-- heartbeats included, so a device that is alive but had nobody punching is not taken for dead.
with source as (
    select * from {{ source('ops', 'adms_device') }}
),

renamed as (
    select
        device_sn,
        last_seen_at,
        last_seen_from,
        last_request,
        attlog_stamp,
        -- the device's own count of its log, from its answer to the last INFO command
        case
            when device_info ->> 'TransactionCount' ~ '^[0-9]{1,9}$'
                then (device_info ->> 'TransactionCount')::integer
        end as records_on_device
    from source
)

select * from renamed
