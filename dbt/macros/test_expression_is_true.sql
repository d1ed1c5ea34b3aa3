{#- Rows where a boolean SQL expression is false (dbt_utils.expression_is_true, written here). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
