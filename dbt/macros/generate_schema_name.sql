{#- Schemas are exactly the names the project uses (staging, intermediate, marts), not dbt's
    default "<target schema>_<custom>": roles, grants and dashboards name them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
