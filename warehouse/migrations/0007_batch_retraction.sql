-- Batch retraction (issue 17): a way out of a wrong batch that keeps raw append-only. A batch is
-- never deleted or changed; a row here says it no longer counts, who said so, when and why. Staging
-- and every model leave out the punches and reference rows of a retracted batch; the incremental
-- models recompute the days it touched (in a locked month: as adjustments, never in place).
create table raw.batch_retraction (
    retraction_id  bigint generated always as identity primary key,
    batch_id       bigint not null unique references raw.ingest_batch (batch_id),
    reason         text not null check (btrim(reason) <> ''),
    retracted_at   timestamptz not null default now(),
    retracted_by   text not null default current_user,   -- the database role
    requested_by   text                                    -- the operator's login as the CLI saw it
);

create trigger batch_retraction_append_only before update or delete on raw.batch_retraction
    for each row execute function raw.forbid_rewrite();
create trigger batch_retraction_no_truncate before truncate on raw.batch_retraction
    for each statement execute function raw.forbid_rewrite();

-- `absensi import-usb --force-serial`: the serial the file's name named, when the operator imported it
-- under another one on purpose (null: no override).
alter table raw.ingest_batch add column forced_serial text;

grant select, insert on raw.batch_retraction to absensi_ingest;
grant usage on all sequences in schema raw to absensi_ingest;
grant select on raw.batch_retraction to absensi_transform;
