{#- Every version of a raw reference table's rows from counted batches (ok and not retracted): the
    staging `_versions` views.
    The current views pick the newest per key; the incremental models compare a new version with
    the one before it. -#}
{% macro ok_batch_versions(raw_table) %}
with source as (
    select * from {{ source('raw', raw_table) }}
),

ok_batches as (
    select batch_id from {{ source('raw', 'ingest_batch') }}
    where
        status = 'ok'
        and batch_id not in (select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions)
),

versions as (
    select source.*
    from source
    where source.batch_id in (select ok_batches.batch_id from ok_batches)
)

select * from versions
{% endmacro %}
