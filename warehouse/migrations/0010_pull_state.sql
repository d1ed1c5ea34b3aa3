-- Issue 16: what a pull remembers about a device between runs (ops: operational state, not history).
--
-- ops.device_hold: a pull that disables a device (`absensi pull --clear-after`, so no punch lands
-- between the read and the clear) writes its row here, committed, before the disable command; it
-- deletes the row once the device is enabled again. A pull killed in between (kill -9, a host
-- crash) leaves the row, and the next pull of that device re-enables it. A device someone else
-- disabled (an operator at the machine) has no row and is left as it is.
create table ops.device_hold (
    device_sn    text primary key,
    disabled_at  timestamptz not null default now(),
    disabled_by  text not null default session_user
);
comment on table ops.device_hold is
    'Devices a pull disabled and has not enabled again yet (the next pull re-enables them).';

grant usage on schema ops to absensi_ingest;
grant select, insert, update, delete on ops.device_hold to absensi_ingest;
grant select on ops.device_hold to absensi_analyst;
alter table ops.device_hold owner to absensi_owner;

-- raw.device_user held the whole user list of every pull (85 devices x 3,000 users, hourly: ~6 M
-- rows a day). A pull batch now carries the fingerprint of the list it read (users_sha256); its
-- rows are stored only when the list differs from the device's previous pull, otherwise
-- users_batch_id names the earlier batch whose rows are that same list. Append-only as before:
-- nothing is updated or deleted, a batch only points back. stg_raw__device_users gives every
-- pull batch its list, as it did when each batch stored its own rows.
alter table raw.ingest_batch
    add column users_sha256 text,
    add column users_batch_id bigint references raw.ingest_batch (batch_id);
comment on column raw.ingest_batch.users_sha256 is
    'Pull batches: SHA-256 of the user list read (order-independent); null for other kinds and older pulls.';
comment on column raw.ingest_batch.users_batch_id is
    'Pull batches whose user list was unchanged: the earlier batch of the same device holding those rows.';

-- users_batch_id may only name an earlier ok pull of the same device that stored the same list.
create or replace function raw.ingest_batch_users_check() returns trigger
language plpgsql as $$
begin
    if new.users_batch_id is null then
        return new;
    end if;
    if not exists (
        select 1 from raw.ingest_batch b
         where b.batch_id = new.users_batch_id and b.batch_id < new.batch_id and b.kind = 'pull'
           and b.status = 'ok' and b.device_sn = new.device_sn and b.users_batch_id is null
           and b.users_sha256 = new.users_sha256
    ) then
        raise exception 'raw.ingest_batch: users_batch_id % bukan batch tarik ok mesin % dengan daftar pengguna yang sama',
            new.users_batch_id, new.device_sn using errcode = 'check_violation';
    end if;
    return new;
end;
$$;
alter function raw.ingest_batch_users_check() owner to absensi_owner;
create trigger ingest_batch_users_check before insert on raw.ingest_batch
    for each row execute function raw.ingest_batch_users_check();

-- A leave letter can be withdrawn, not only shrunk: leave.csv may carry `status` (berlaku |
-- dicabut; blank = berlaku). A withdrawal is a new row of the same letter (nip, mulai) in its own
-- batch, so raw keeps who withdrew it and when; staging drops a letter whose newest row is dicabut.
alter table raw.leave
    add column status text not null default 'berlaku' check (status in ('berlaku', 'dicabut'));
