{#- The watermark (ops.transform_state: the newest batch seen and when it was read) moves only when
    this run built every incremental model over int_attendance_touched (issue 16 item 8): the
    dbt_project.yml on-run-end hook. A run killed or failed between two of them (after
    fct_attendance_daily, before int_attendance_monthly), or one that selected only some of them,
    leaves it where it was: the next run reads the same batches again, and int_attendance_touched
    also carries over the ranges of that unfinished run ('unfinished'), so the monthly model catches up. -#}
{% macro record_transform_state(results) %}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set needed = ['int_attendance_touched', 'fct_attendance_daily', 'int_attendance_monthly',
                      'int_attendance_corrections'] -%}
    {%- set ns = namespace(built=[]) -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model' and result.node.package_name == project_name
              and result.node.name in needed and result.status == 'success' -%}
            {%- do ns.built.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.built | unique | list | length < needed | length -%}
        {%- set missing = needed | reject('in', ns.built) | join(', ') -%}
        {{ log("ops.transform_state tidak diubah: build ini tidak menyelesaikan " ~ missing, info=false) }}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set state = api.Relation.create(database=target.database, schema='ops', identifier='transform_state') -%}
    insert into {{ state }} as state (model, last_batch_id, updated_at)
    select 'fct_attendance_daily', max(high_batch_id), max(run_started_at) from {{ touched_relation() }}
    having max(high_batch_id) is not null
    on conflict (model) do update set last_batch_id = excluded.last_batch_id, updated_at = excluded.updated_at
{%- endmacro %}
