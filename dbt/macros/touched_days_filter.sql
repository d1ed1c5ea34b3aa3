{#- Data tests of the incremental models and of the marts over them check only what this run wrote
    (everything on a full refresh): rows whose `column` is at or after the first day that
    int_attendance_touched names, at the column's grain: 'day' (a date), 'month' (a first-of-month
    date) or 'year' (a year number). An hourly run then does not re-test years of history. -#}
{% macro touched_days_filter(column, grain='day') -%}
    {%- set touched = touched_relation() -%}
    {%- if grain == 'day' -%}
        {{ column }} >= (select min(date_from) from {{ touched }})
    {%- elif grain == 'month' -%}
        {{ column }} >= (select date_trunc('month', min(date_from)) from {{ touched }})
    {%- elif grain == 'year' -%}
        {{ column }} >= (select extract(year from min(date_from)) from {{ touched }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("touched_days_filter: grain must be day, month or year, not " ~ grain) }}
    {%- endif -%}
{%- endmacro %}


{#- int_attendance_touched as a relation, found in the project graph: a test's `where` is not rendered
    with ref(), and its schema is the project's to choose, not the yml's. -#}
{% macro touched_relation() -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('package_name', 'equalto', project_name)
        | selectattr('name', 'equalto', 'int_attendance_touched')
        | first -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}


{#- dbt's get_where_subquery (it wraps the model of every generic test in its `where`), taught one
    placeholder, because yml configs cannot call the project's macros:
        config: {where: "__touched_days_filter__(work_date)"}       -- or (month, month), (year, year)
    renders as {{ touched_days_filter('work_date') }}. Anything else is dbt's own behaviour. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set ns = namespace(where=where) -%}
        {%- set placeholder = '__touched_days_filter__\\(\\s*(\\w+)\\s*(?:,\\s*(\\w+)\\s*)?\\)' -%}
        {%- for found in modules.re.finditer(placeholder, where) -%}
            {%- set ns.where = ns.where.replace(found.group(0), touched_days_filter(found.group(1), found.group(2) or 'day')) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ ns.where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
