{#- Grain test: no two rows share the given columns (dbt_utils.unique_combination_of_columns,
    written here because dbt hub packages cannot be fetched). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
