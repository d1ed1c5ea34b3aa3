{#- The one place money is rounded (DESIGN §6): round-half-up(base × percent / 100) to whole rupiah.
    numeric round() rounds halves away from zero, which is half-up because amounts are never negative.
    Used by the monthly deduction and by the corrections of locked months, so both always agree. -#}
{% macro deduction_rupiah(base, pct) -%}
round(({{ base }})::numeric * ({{ pct }}) / 100)
{%- endmacro %}
