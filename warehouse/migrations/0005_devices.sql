-- Devices (issue 3): a pull of 100,000 punches spent half its database time in the per-row
-- foreign-key trigger of raw.device_punch.batch_id (one lookup of the same batch per row).
-- Batches are never deleted or updated (append-only triggers), so the only thing the foreign key
-- still guards is an insert naming a batch that does not exist; one set-based check per statement
-- guards exactly that, at the cost of a single anti-join.
alter table raw.device_punch drop constraint if exists device_punch_batch_id_fkey;

create or replace function raw.device_punch_batch_exists() returns trigger
language plpgsql as $$
declare missing bigint;
begin
    select n.batch_id into missing
      from (select distinct batch_id from new_rows) n
     where not exists (select 1 from raw.ingest_batch b where b.batch_id = n.batch_id)
     limit 1;
    if found then
        raise exception 'raw.device_punch: batch_id % tidak ada di raw.ingest_batch', missing
            using errcode = 'foreign_key_violation';
    end if;
    return null;
end;
$$;

create trigger device_punch_batch_exists
    after insert on raw.device_punch
    referencing new table as new_rows
    for each statement execute function raw.device_punch_batch_exists();
