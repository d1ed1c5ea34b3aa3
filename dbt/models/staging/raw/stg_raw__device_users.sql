-- The users enrolled on a device, per batch that read them. Since migration 0010 a pull whose user
-- list did not change stores no rows of its own: it names the earlier batch holding that list
-- (raw.ingest_batch.users_batch_id), and gets that batch's rows here under its own batch_id, so
-- every pull still has its whole list. received_at is when the rows were stored.
with stored as (
    select * from {{ source('raw', 'device_user') }}
),

unchanged_pulls as (
    select
        batches.batch_id,
        batches.users_batch_id
    from {{ source('raw', 'ingest_batch') }} as batches
    where batches.users_batch_id is not null
),

source as (
    select
        stored.batch_id,
        stored.device_sn,
        stored.uid,
        stored.device_pin,
        stored.name,
        stored.privilege,
        stored.card,
        stored.received_at
    from stored
    union all
    select
        unchanged_pulls.batch_id,
        stored.device_sn,
        stored.uid,
        stored.device_pin,
        stored.name,
        stored.privilege,
        stored.card,
        stored.received_at
    from unchanged_pulls
    inner join stored on stored.batch_id = unchanged_pulls.users_batch_id
),

renamed as (
    select
        batch_id,
        device_sn,
        uid,
        btrim(device_pin) as device_pin,
        name as user_name,
        privilege,
        card,
        received_at
    from source
)

select * from renamed
