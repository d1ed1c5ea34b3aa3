{#- Every version of a raw reference table's rows from counted batches (ok and not retracted: the
    staging `_versions` views),
    each with its previous version: the newest row (by batch_id, row_no) of an earlier counted batch with
    the same natural key (`key`: SQL expressions over the raw columns). previous_batch_id is null when
    the key is new; prev_<column> is that row's value for each of `compared`, the columns a change is
    judged on (int_attendance_touched). The current views pick the newest version per key.
    `columns`: the raw table's columns besides batch_id and row_no. `overrides`: column -> SQL
    expression over `source` that stands for the column (e.g. a withdrawn letter's effective end). -#}
{% macro ok_batch_versions(raw_table, columns, key, compared, overrides={}) %}
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
    {%- if overrides %}
    select
        source.batch_id,
        source.row_no,
        {%- for column in columns %}
        {{ overrides.get(column, 'source.' ~ column) }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    {%- else %}
    select source.*
    {%- endif %}
    from source
    where source.batch_id in (select ok_batches.batch_id from ok_batches)
),

-- the row just before each row of the same key
with_row_before as (
    select
        versions.*,
        {%- for column in ['batch_id'] + compared %}
        lag(versions.{{ column }}) over key_history as before_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from versions
    window key_history as (partition by {{ key | join(', ') }} order by versions.batch_id, versions.row_no)
),

-- For the first row of a key in a batch, the row just before it is its previous version; a later
-- row of the same key in the same batch (the reference loader refuses such files) takes the same one.
with_previous as (
    select
        batch_id,
        row_no,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        first_value(before_batch_id) over key_batch as previous_batch_id,
        {%- for column in compared %}
        first_value(before_{{ column }}) over key_batch as prev_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from with_row_before
    window key_batch as (partition by {{ key | join(', ') }}, batch_id order by row_no)
)

select * from with_previous
{% endmacro %}
