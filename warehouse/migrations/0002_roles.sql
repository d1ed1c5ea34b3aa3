-- Least privilege (DESIGN §7). Roles are cluster-wide, so create them only when missing; they are
-- NOLOGIN groups: deployments grant them to login users (see docker-compose / README).
do $$
declare r text;
begin
    foreach r in array array['absensi_ingest', 'absensi_transform', 'absensi_analyst',
                             'absensi_metabase', 'absensi_finance'] loop
        if not exists (select 1 from pg_roles where rolname = r) then
            execute format('create role %I nologin', r);
        end if;
    end loop;
end;
$$;

create schema if not exists staging;
create schema if not exists marts;

revoke all on schema raw from public;
revoke all on all tables in schema raw from public;

-- ingest: append raw rows, read them back (natural-key checks); never update or delete.
grant usage on schema raw to absensi_ingest;
grant select, insert on all tables in schema raw to absensi_ingest;
grant usage on all sequences in schema raw to absensi_ingest;

-- transform (dbt): read raw, own what it builds in staging and marts.
grant usage on schema raw to absensi_transform;
grant select on all tables in schema raw to absensi_transform;
grant usage, create on schema staging, marts to absensi_transform;
do $$ begin execute format('grant create on database %I to absensi_transform', current_database()); end $$;

-- readers of marts. Finance reads the allowance marts only: dbt grants those tables to it by name.
grant usage on schema marts to absensi_analyst, absensi_metabase, absensi_finance;
alter default privileges in schema marts grant select on tables to absensi_analyst, absensi_metabase;
