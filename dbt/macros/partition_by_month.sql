{#- Monthly range partitions for an incremental model's table (issue 21; docs/scaling.md). dbt creates
    a model's table with `create table … as`/`insert`, which cannot declare partitions, so:

    * post-hook `partition_by_month(this, column, 'convert')` on full builds only (the first build, a
      full refresh: the table is new, nothing depends on it yet; a warehouse upgraded to migration
      0014 keeps plain facts until its next full refresh): the plain table dbt just built becomes a table partitioned by the month of
      `column`, in the build's transaction: same columns, constraints and indexes (LIKE … INCLUDING),
      the grants dbt just gave, one partition per month of its rows plus a default partition. A
      month-by-month refresh (absensi.transform.refresh_by_month) converts only its first month.
    * pre-hook `partition_by_month(this, column, 'months', range_sql)` on incremental runs: the months
      between the two dates `range_sql` returns get their partitions before the insert. A month
      without one lands in the default partition (nothing fails); a month with rows there keeps them.

    Partitions live in schema marts_partitions (migration 0014; nobody but the transform role may use
    it: readers see the parent only), named <table>_pYYYYMM_<parent oid> so the new parent of a full
    refresh never meets the names of the old one's. Without that schema the table stays plain. -#}
{% macro partition_by_month(relation, column, mode, range_sql=none) -%}
do $partition$
declare
    parent regclass := to_regclass('{{ relation }}');
    plain text := '{{ relation.identifier }}__unpartitioned';
    suffix text;
    default_name text;
    lo date;
    hi date;
    month date;
    name text;
    occupied boolean;
    g record;
begin
    if parent is null or to_regnamespace('marts_partitions') is null then
        return;
    end if;
    {%- if mode == 'convert' %}
    if (select c.relkind from pg_class as c where c.oid = parent) <> 'r' then
        return;
    end if;
    execute format('alter table %s rename to %I', parent, plain);
    execute format('create table {{ relation }} (like {{ relation.schema }}.%I including defaults including constraints'
                   ' including indexes) partition by range ({{ column }})', plain);
    parent := to_regclass('{{ relation }}');
    suffix := parent::oid::text;
    execute format('create table marts_partitions.%I partition of %s default',
                   '{{ relation.identifier }}_default_' || suffix, parent);
    for month in execute format('select distinct date_trunc(''month'', {{ column }})::date from {{ relation.schema }}.%I', plain) loop
        execute format('create table marts_partitions.%I partition of %s for values from (%L) to (%L)',
                       '{{ relation.identifier }}_p' || to_char(month, 'YYYYMM') || '_' || suffix, parent,
                       month, (month + interval '1 month')::date);
    end loop;
    execute format('insert into %s select * from {{ relation.schema }}.%I', parent, plain);
    for g in select case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee,
                    string_agg(a.privilege_type, ', ') as privileges
               from pg_class as c cross join lateral aclexplode(c.relacl) as a
              where c.oid = to_regclass('{{ relation.schema }}.' || quote_ident(plain)) and a.grantee <> c.relowner
              group by a.grantee loop
        execute format('grant %s on %s to %s', g.privileges, parent, g.grantee);
    end loop;
    execute format('drop table {{ relation.schema }}.%I', plain);
    {%- else %}
    if (select c.relkind from pg_class as c where c.oid = parent) <> 'p' then
        return;
    end if;
    suffix := parent::oid::text;
    default_name := '{{ relation.identifier }}_default_' || suffix;
    select date_trunc('month', r.lo)::date, date_trunc('month', r.hi)::date into lo, hi
      from ({{ range_sql }}) as r (lo, hi);
    month := lo;
    while month <= hi loop
        name := '{{ relation.identifier }}_p' || to_char(month, 'YYYYMM') || '_' || suffix;
        if to_regclass('marts_partitions.' || quote_ident(name)) is null then
            execute format('select exists (select 1 from marts_partitions.%I where {{ column }} >= %L and {{ column }} < %L)',
                           default_name, month, (month + interval '1 month')::date) into occupied;
            if not occupied then
                execute format('create table marts_partitions.%I partition of %s for values from (%L) to (%L)',
                               name, parent, month, (month + interval '1 month')::date);
            end if;
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    {%- endif %}
end;
$partition$
{%- endmacro %}
