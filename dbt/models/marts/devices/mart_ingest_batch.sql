-- Every batch as operators see it: what was loaded, from where, whether it counts, and when one was
-- retracted, by whom and why (`absensi batch retract`; raw keeps the batch, it just stops counting).
with batches as (
    select * from {{ ref('stg_raw__ingest_batches') }}
)

select
    -- identifiers
    batches.batch_id::bigint as batch_id,
    -- dimensions
    batches.kind::text as kind,
    batches.device_sn::text as device_sn,
    batches.source_file::text as source_file,
    (case when batches.is_retracted then 'retracted' else batches.status end)::text as state,
    batches.forced_serial::text as forced_serial,
    -- facts
    batches.started_at::timestamptz as started_at,
    batches.finished_at::timestamptz as finished_at,
    batches.records_read::integer as records_read,
    batches.records_new::integer as records_new,
    batches.is_counted::boolean as is_counted,
    batches.error::text as error,
    batches.retracted_at::timestamptz as retracted_at,
    batches.retracted_by::text as retracted_by,
    batches.retraction_requested_by::text as retraction_requested_by,
    batches.retraction_reason::text as retraction_reason
from batches
