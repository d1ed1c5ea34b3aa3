-- Every version of each opd row from ok batches (the current view picks the newest per key;
-- the incremental models compare a new version with the one before it).
with source as (
    select * from {{ source('raw', 'opd') }}
),

ok_batches as (
    select batch_id from {{ source('raw', 'ingest_batch') }} where status = 'ok'
),

versions as (
    select source.*
    from source
    where source.batch_id in (select ok_batches.batch_id from ok_batches)
)

select * from versions
