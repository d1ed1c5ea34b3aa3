{{ config(materialized='table') }}
-- Per device: the newest moment up to which the warehouse holds its whole log (issue 13, docs/
-- CONTRACTS.md "Completeness"). A counted punch batch (ok, not retracted) proves the log up to its
-- read clock, taken in the device's own clock so it compares with the punches it stamps:
--   pull: the device's clock at the read (device_time), else our clock in the device's timezone;
--   usb:  the time the file was exported from the device (`absensi import-usb --exported-at`), else
--         only up to the file's last punch (a file copied at noon says nothing about the afternoon);
--   push: our clock when the upload arrived, in the device's timezone (devices push in order).
-- A log read at T holds every punch before T, so the newest read covers every earlier day.
with batches as (
    select * from {{ ref('stg_raw__ingest_batches') }}
    where is_counted and is_punch_batch and device_sn is not null
),

devices as (
    select * from {{ ref('stg_raw__devices') }}
),

reads as (
    select
        batches.device_sn,
        batches.batch_id,
        batches.kind,
        case
            when batches.device_time is not null then batches.device_time
            when batches.kind = 'usb'
                then (
                    select max(punches.punch_local)
                    from {{ source('raw', 'device_punch') }} as punches
                    where punches.batch_id = batches.batch_id
                )
            else
                coalesce(batches.server_time, batches.finished_at)
                at time zone coalesce(devices.timezone, '{{ var("timezone") }}')
        end as read_local_at,
        coalesce(devices.timezone, '{{ var("timezone") }}') as timezone
    from batches
    left join devices on devices.device_sn = batches.device_sn
),

newest as (
    select distinct on (reads.device_sn)
        reads.device_sn,
        reads.batch_id,
        reads.kind,
        reads.read_local_at,
        reads.timezone
    from reads
    where reads.read_local_at is not null
    order by reads.device_sn asc, reads.read_local_at desc, reads.batch_id desc
)

select
    newest.device_sn::text as device_sn,
    newest.batch_id::bigint as batch_id,
    newest.kind::text as kind,
    -- the device's local clock
    newest.read_local_at::timestamp as read_local_at,
    (newest.read_local_at at time zone newest.timezone)::timestamptz as read_at
from newest
