{#- Every version of a raw reference table's rows from ok batches: the staging `_versions` views.
    The current views pick the newest per key; the incremental models compare a new version with
    the one before it. -#}
{% macro ok_batch_versions(raw_table) %}
with source as (
    select * from {{ source('raw', raw_table) }}
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
{% endmacro %}
