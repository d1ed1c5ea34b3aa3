{#- Incremental int_discipline_tk_runs (issue 21): per employee, the day after which its runs of
    consecutive TK workdays are recomputed this run. Every day this run changed is on or after the
    first day int_attendance_touched names (T), so the employee's last workday before T that is not
    TK (open facts of unlocked months, or a locked month's frozen day) ends every earlier run: those
    runs cannot change. Looked for in the 45 days before T (an index probe per employee); an
    employee with no day at all before that keeps T − 46 (nothing older to recompute); one absent
    without a break for longer: '-infinity', the whole history. One row per employee of
    stg_raw__employees. -#}
{% macro tk_restart_points() -%}
select
    employees.nip,
    coalesce(
        greatest(
            (
                select max(facts.work_date) from {{ ref('fct_attendance_daily') }} as facts
                where
                    facts.nip = employees.nip
                    and facts.work_date >= bounds.first_touched - 45
                    and facts.work_date < bounds.first_touched
                    and facts.status <> 'TK'
                    and {{ month_of('facts.work_date') }} not in (
                        select locks.month from {{ source('ops', 'month_lock') }} as locks
                    )
            ),
            (
                select max(frozen.work_date) from {{ source('ops', 'locked_attendance_daily') }} as frozen
                where
                    frozen.nip = employees.nip
                    and frozen.work_date >= bounds.first_touched - 45
                    and frozen.work_date < bounds.first_touched
                    and frozen.status <> 'TK'
            )
        ),
        case
            when
                exists (
                    select 1 from {{ ref('fct_attendance_daily') }} as facts
                    where facts.nip = employees.nip and facts.work_date < bounds.first_touched - 45
                )
                or exists (
                    select 1 from {{ source('ops', 'locked_attendance_daily') }} as frozen
                    where frozen.nip = employees.nip and frozen.work_date < bounds.first_touched - 45
                )
                then '-infinity'::date
            else bounds.first_touched - 46
        end
    ) as restart_after
from (select distinct employees.nip from {{ ref('stg_raw__employees') }} as employees) as employees
cross join (
    select coalesce(min(touched.date_from), 'infinity'::date) as first_touched
    from {{ ref('int_attendance_touched') }} as touched
) as bounds
{%- endmacro %}
