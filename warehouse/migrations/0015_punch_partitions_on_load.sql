-- Province scale (issue 21): a load creates the partitions of the months it brings.
--
-- Until now only this month and the next 12 got a partition (0014, the close, the refresh). A
-- regency that starts by importing a year of USB backlog, or a device that comes back after months
-- offline, wrote those older months into raw.device_punch_default, and they stayed there for good (raw
-- rows are never moved): every month's build then scanned the whole default partition. Now every
-- loader (pull, USB, ADMS push) calls raw.ensure_punch_partitions_for(months) with the months of
-- its punches before it writes them, so each month lands in its own partition.
--
-- * Months before 2015 (dbt's min_plausible_punch: clock resets) and later than this month + 12
--   (a clock set to 2031) get no partition: those rows still go to the default partition.
-- * A month that already has rows in the default partition keeps them there and gets no partition
--   (as in 0014).
-- * Two loads bringing the same new month at once: an advisory lock serialises the creation and the
--   second finds the partition there.

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
        if to_regclass('raw.' || name) is null then
            -- only when something may be created: an existing month costs a catalog lookup
            perform pg_advisory_xact_lock(hashtextextended('absensi.punch_partitions', 0));
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
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    return made;
end;
$$;

-- The partitions of `months` (any day of each month) that may exist: 2015 up to this month + 12.
create or replace function raw.ensure_punch_partitions_for(months date[]) returns integer
language sql security definer set search_path = pg_catalog, raw as $$
    select coalesce(sum(raw.create_punch_partitions(m.month, m.month)), 0)::integer
    from (select distinct date_trunc('month', d)::date as month from unnest(months) as d) as m
    where m.month >= date '2015-01-01'
      and m.month < date_trunc('month', localtimestamp) + interval '13 months'
$$;

alter function raw.create_punch_partitions(date, date) owner to absensi_owner;
alter function raw.ensure_punch_partitions_for(date[]) owner to absensi_owner;
revoke all on function raw.create_punch_partitions(date, date) from public;
revoke all on function raw.ensure_punch_partitions_for(date[]) from public;
grant execute on function raw.ensure_punch_partitions_for(date[]) to absensi_ingest, absensi_transform, absensi_close;
