{#- Whether this run computes every day of the window (first run, or --full-refresh) or only the
    days new data touched. The scope models and the facts must agree, so all of them ask here. -#}
{% macro attendance_full_mode() %}
    {%- if not execute -%}
        {#- parse time: render the incremental branch, which names every input -#}
        {{ return(false) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set facts = adapter.get_relation(database=target.database, schema='marts',
                                          identifier='fct_attendance_daily') -%}
    {{ return(facts is none) }}
{% endmacro %}


{#- A percent as Indonesians write it in the reason text: 1,50 -#}
{% macro pct_text(expr) -%}
    replace(to_char({{ expr }}, 'FM9990.00'), '.', ',')
{%- endmacro %}


{#- The first day of the month of a date expression. -#}
{% macro month_of(expr) -%}
    date_trunc('month', {{ expr }})::date
{%- endmacro %}


{#- A full rebuild of the facts needs a full scope: `--full-refresh --select fct_attendance_daily`
    alone would rebuild from an incremental scope and lose days. Unit tests override this. -#}
{% macro check_scope_is_full() %}
    {%- if execute -%}
        {%- set result = run_query("select coalesce(bool_and(is_full), true) from " ~ ref('int_attendance_touched')) -%}
        {%- if not result.columns[0].values()[0] -%}
            {{ exceptions.raise_compiler_error(
                "fct_attendance_daily dibangun ulang penuh, tetapi int_attendance_touched berisi cakupan "
                ~ "inkremental: jalankan `absensi transform --full-refresh` tanpa --select, atau pilih "
                ~ "+fct_attendance_daily") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#- "Now" in the regency's local time: the dbt var `as_of` ('YYYY-MM-DD HH:MM[:SS]', local; validated
    by `absensi transform`) for a fixed clock, else the database clock. A day that has not ended at
    this moment is MENUNGGU (issue 13). -#}
{% macro as_of_local() -%}
    {%- if var('as_of', '') -%}
        '{{ var("as_of") }}'::timestamp
    {%- else -%}
        (now() at time zone '{{ var("timezone") }}')
    {%- endif -%}
{%- endmacro %}
