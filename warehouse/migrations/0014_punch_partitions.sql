-- Province scale (issue 21): raw.device_punch partitioned by the month of punch_local, and the
-- state of a month-by-month full refresh (absensi.transform.refresh_by_month).
--
-- * raw.device_punch becomes a declarative range-partitioned table, one partition per month of
--   punch_local (raw.device_punch_pYYYYMM) and a default partition for the rest (clock resets to
--   2000, a device set to 2031, months nobody created a partition for). A query over a date range
--   reads only its months: old months are never scanned, and a month's rebuild reads one partition.
-- * Same columns, same natural key (device_sn, punch_local, device_pin): a unique constraint of a
--   partitioned table must contain the partition key, and this one already does.
-- * Append-only as before: the row triggers (no UPDATE/DELETE) are cloned onto every partition by
--   PostgreSQL; TRUNCATE triggers are statement triggers, which are not cloned, so every partition
--   gets its own (raw.ensure_punch_partitions adds it to the partitions it creates). Detaching or
--   dropping a partition needs ownership (absensi_owner, which no login uses): the same trace in
--   schema_migrations as disabling a trigger. The batch check stays a statement trigger with a
--   transition table on the partitioned table (it sees the rows of every partition).
-- * Grants on the partitioned table are copied from the old table; partitions get none (every
--   login reaches them through raw.device_punch, where the privileges are checked).
-- * Months ahead: this migration creates partitions for every month that has punches (2015 onwards:
--   dbt's min_plausible_punch) and for this month and the next 12. raw.ensure_punch_partitions()
--   (security definer, as the owner) creates the next 12 months again; the monthly close and the
--   full refresh call it, so there are always months ahead. A month whose punches already sit in
--   the default partition keeps them there (raw is never moved), and gets no partition.
--
-- The dbt views that read raw.device_punch are re-created over the new table when the migrating
-- role may (it owns them, or is a member of their owner); otherwise they are dropped with the old
-- table and the next `absensi transform` creates them again (README, Deploy).

create or replace function raw.punch_partition_name(month date) returns text
language sql immutable as $$ select 'device_punch_p' || to_char(month, 'YYYYMM') $$;

-- Views that read raw.device_punch directly, and which of them this role may re-create.
create temporary table punch_views on commit drop as
select distinct
    v.oid::regclass::text as view_name,
    pg_get_viewdef(v.oid) as definition,
    pg_has_role(current_user, v.relowner, 'USAGE') as replaceable
from pg_depend d
join pg_rewrite r on r.oid = d.objid
join pg_class v on v.oid = r.ev_class
where d.classid = 'pg_rewrite'::regclass
  and d.refobjid = 'raw.device_punch'::regclass
  and v.oid <> 'raw.device_punch'::regclass
  and v.relkind = 'v';

create temporary table punch_grants on commit drop as
select case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee,
       string_agg(a.privilege_type, ', ') as privileges
from pg_class c cross join lateral aclexplode(c.relacl) a
where c.oid = 'raw.device_punch'::regclass and a.grantee <> c.relowner
group by a.grantee;

alter table raw.device_punch rename to device_punch_unpartitioned;
alter table raw.device_punch_unpartitioned rename constraint device_punch_natural_key to device_punch_unpartitioned_key;
alter index raw.device_punch_batch_brin rename to device_punch_unpartitioned_batch_brin;
alter index raw.device_punch_local_brin rename to device_punch_unpartitioned_local_brin;

create table raw.device_punch (
    device_sn    text not null,
    device_pin   text not null,
    punch_local  timestamp not null,        -- the device's clock, never rewritten
    verify_type  integer,
    punch_state  integer,
    work_code    integer,
    source       text not null check (source in ('pull', 'usb', 'push')),
    batch_id     bigint not null,           -- an ok batch of its source: device_punch_batch_exists
    received_at  timestamptz not null default now(),
    constraint device_punch_natural_key unique (device_sn, punch_local, device_pin)
) partition by range (punch_local);

create table raw.device_punch_default partition of raw.device_punch default;

-- Monthly partitions [from, to] (first days of months) that do not exist yet, each with its
-- TRUNCATE guard; a month with rows in the default partition is left there. Returns how many it
-- created. Security definer: the close (absensi_close), the refresh (absensi_transform) and the
-- loaders (absensi_ingest) may call it without owning raw.
create or replace function raw.create_punch_partitions(from_month date, to_month date) returns integer
language plpgsql security definer set search_path = pg_catalog, raw as $$
declare
    month date := date_trunc('month', from_month)::date;
    last date := date_trunc('month', to_month)::date;
    made integer := 0;
    name text;
begin
    while month <= last loop
        name := raw.punch_partition_name(month);
        if to_regclass('raw.' || name) is null
           and not exists (select 1 from raw.device_punch_default
                            where punch_local >= month and punch_local < month + interval '1 month') then
            execute format('create table raw.%I partition of raw.device_punch for values from (%L) to (%L)',
                           name, month::timestamp, (month + interval '1 month')::timestamp);
            execute format('create trigger %I before truncate on raw.%I
                            for each statement execute function raw.forbid_rewrite()',
                           name || '_no_truncate', name);
            made := made + 1;
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    return made;
end;
$$;

create or replace function raw.ensure_punch_partitions(months_ahead integer default 12) returns integer
language sql security definer set search_path = pg_catalog, raw as $$
    select raw.create_punch_partitions(date_trunc('month', localtimestamp)::date,
                                       (date_trunc('month', localtimestamp) + make_interval(months => months_ahead))::date)
$$;

-- The months of the existing punches, then this month and the next 12.
do $$
declare month date;
begin
    for month in select distinct date_trunc('month', punch_local)::date from raw.device_punch_unpartitioned
                  where punch_local >= '2015-01-01' and punch_local < date_trunc('month', localtimestamp) + interval '13 months'
                  order by 1 loop
        perform raw.create_punch_partitions(month, month);
    end loop;
end;
$$;
select raw.ensure_punch_partitions(12);

-- The rows as they are (received_at and batch ids kept), in this migration's transaction.
insert into raw.device_punch (device_sn, device_pin, punch_local, verify_type, punch_state, work_code,
                              source, batch_id, received_at)
select device_sn, device_pin, punch_local, verify_type, punch_state, work_code, source, batch_id, received_at
from raw.device_punch_unpartitioned;

-- Indexes of 0006, now partitioned (each partition gets its own).
create index device_punch_batch_brin on raw.device_punch using brin (batch_id) with (pages_per_range = 16, autosummarize = on);
create index device_punch_local_brin on raw.device_punch using brin (punch_local) with (pages_per_range = 16, autosummarize = on);

-- Append-only (0001) and the batch check (0005/0009), after the copy: the copied rows were checked
-- when they were first written.
create trigger device_punch_append_only before update or delete on raw.device_punch
    for each row execute function raw.forbid_rewrite();
create trigger device_punch_no_truncate before truncate on raw.device_punch
    for each statement execute function raw.forbid_rewrite();
create trigger device_punch_no_truncate before truncate on raw.device_punch_default
    for each statement execute function raw.forbid_rewrite();
create trigger device_punch_batch_exists after insert on raw.device_punch
    referencing new table as new_rows
    for each statement execute function raw.device_punch_batch_exists();

do $$
declare g record;
begin
    for g in select * from punch_grants loop
        execute format('grant %s on raw.device_punch to %s', g.privileges, g.grantee);
    end loop;
end;
$$;
revoke all on raw.device_punch from public;

do $$
declare v record;
begin
    for v in select * from punch_views where replaceable loop
        execute format('create or replace view %s as %s', v.view_name,
                       replace(v.definition, 'raw.device_punch_unpartitioned', 'raw.device_punch'));
    end loop;
    for v in select * from punch_views where not replaceable loop
        raise notice 'view % dibuat ulang oleh `absensi transform` berikutnya', v.view_name;
    end loop;
end;
$$;

-- The old table's triggers allow no DROP guard (DROP needs ownership, as ALTER does); dependents
-- that could not be re-created go with it.
drop table raw.device_punch_unpartitioned cascade;

-- Everything in raw belongs to the owner (0009), also when a superuser applied this migration.
do $$
declare obj record;
begin
    for obj in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'raw' and c.relkind in ('r', 'p')
                 and c.relowner <> (select oid from pg_roles where rolname = 'absensi_owner') loop
        execute format('alter table raw.%I owner to absensi_owner', obj.relname);
    end loop;
end;
$$;
alter function raw.punch_partition_name(date) owner to absensi_owner;
alter function raw.create_punch_partitions(date, date) owner to absensi_owner;
alter function raw.ensure_punch_partitions(integer) owner to absensi_owner;

revoke all on function raw.create_punch_partitions(date, date) from public;
revoke all on function raw.ensure_punch_partitions(integer) from public;
grant execute on function raw.ensure_punch_partitions(integer) to absensi_ingest, absensi_transform, absensi_close;

-- The month-by-month full refresh (absensi transform --full-refresh): which months of which window
-- are done, so a refresh killed in month 8 of 12 continues with month 8. Operational state, updated
-- in place, written by the transform login only.
create table ops.transform_refresh (
    refresh_id    bigint generated always as identity primary key,
    vars          jsonb not null,                 -- the dbt vars it was started with
    window_start  date not null,
    done_through  date,                           -- first day of the last month finished
    months_done   integer not null default 0,
    started_at    timestamptz not null default now(),
    started_by    text not null default session_user,
    updated_at    timestamptz not null default now(),
    finished_at   timestamptz
);
alter table ops.transform_refresh owner to absensi_owner;
revoke all on ops.transform_refresh from public;
grant select, insert, update on ops.transform_refresh to absensi_transform;
grant usage on sequence ops.transform_refresh_refresh_id_seq to absensi_transform;
grant select on ops.transform_refresh to absensi_gate, absensi_close, absensi_analyst, absensi_metabase;

-- The daily facts' monthly partitions (dbt/macros/partition_by_month.sql): dbt's transform role
-- creates them here, out of the readers' sight (they read marts.fct_attendance_daily, the parent).
create schema if not exists marts_partitions;
alter schema marts_partitions owner to absensi_owner;
revoke all on schema marts_partitions from public;
grant usage, create on schema marts_partitions to absensi_transform;
