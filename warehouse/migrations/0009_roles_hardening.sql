-- Issue 16: the pipeline's logins cannot rewrite history, forge batches or forge the quality gate.
--
-- * Every object of raw, ops and quality belongs to `absensi_owner`, a NOLOGIN role nobody logs in
--   as: ALTER TABLE … DISABLE TRIGGER (the only way past the append-only triggers) needs ownership,
--   and no service login is a member of it. Migrations run as it (`absensi db migrate` through the
--   migration-only login, warehouse.migrate); a superuser run of this migration hands it what an
--   older deployment's pipeline login owned.
-- * Group roles, one per step (deployments grant them to logins, docker/postgres/init-databases.sh):
--   absensi_ingest (append raw: pulls, pushes, files, retractions), absensi_transform (dbt: read
--   raw and ops, build staging/intermediate/marts, its own watermark), absensi_gate (the quality
--   gate: the only writer of quality.*), absensi_close (the monthly close: the only writer of
--   ops.month_lock and ops.locked_*).
-- * Batch ids come from the sequence only (OVERRIDING SYSTEM VALUE is refused), loaded_by is the
--   login that wrote the batch, punches and reference rows attach only to an ok batch of their kind.
-- * ops.month_lock, ops.locked_* and quality.* are append-only like raw; a locked copy is written
--   only in the transaction that locks its month.

do $$
declare r text;
begin
    foreach r in array array['absensi_owner', 'absensi_gate', 'absensi_close'] loop
        if not exists (select 1 from pg_roles where rolname = r) then
            execute format('create role %I nologin', r);
        end if;
    end loop;
end;
$$;

-- dbt creates `intermediate` on its first build; create it here so its owner is absensi_owner too.
create schema if not exists intermediate;

-- Ownership: the warehouse database, the schemas and everything in raw, ops and quality.
do $$
declare
    owner_oid oid := (select oid from pg_roles where rolname = 'absensi_owner');
    obj record;
begin
    if (select datdba from pg_database where datname = current_database()) <> owner_oid
       and (select rolsuper from pg_roles where rolname = current_user) then
        execute format('alter database %I owner to absensi_owner', current_database());
    end if;
    for obj in select nspname from pg_namespace
               where nspname in ('raw', 'ops', 'quality', 'staging', 'intermediate', 'marts')
                 and nspowner <> owner_oid loop
        execute format('alter schema %I owner to absensi_owner', obj.nspname);
    end loop;
    for obj in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname in ('raw', 'ops', 'quality') and c.relkind in ('r', 'p', 'v', 'm')
                 and c.relowner <> owner_oid loop
        -- sequences of identity columns follow their table
        execute format('alter table %I.%I owner to absensi_owner', obj.nspname, obj.relname);
    end loop;
    for obj in select p.oid::regprocedure as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname in ('raw', 'ops', 'quality') and p.proowner <> owner_oid loop
        execute format('alter function %s owner to absensi_owner', obj.fn);
    end loop;
    -- What dbt built as an older deployment's pipeline login goes to the transform group, so the
    -- dbt login (a member) can replace it; a superuser's (development) stays as it is.
    for obj in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
               join pg_roles o on o.oid = c.relowner
               where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind in ('r', 'p', 'v', 'm')
                 and not o.rolsuper and o.rolname <> 'absensi_transform' loop
        execute format('alter %s %I.%I owner to absensi_transform',
                       case obj.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end,
                       obj.nspname, obj.relname);
    end loop;
end;
$$;

-- Batches: ids from the sequence only; the login that wrote it, not what it claims.
create or replace function raw.ingest_batch_stamp() returns trigger
language plpgsql as $$
begin
    -- The identity default has just drawn this row's id from the sequence (this session's currval);
    -- OVERRIDING SYSTEM VALUE draws nothing, so a chosen id never matches.
    if new.batch_id is distinct from currval(pg_get_serial_sequence('raw.ingest_batch', 'batch_id')) then
        raise exception 'raw.ingest_batch: batch_id % bukan dari urutan (sequence); id batch tidak boleh dipilih sendiri',
            new.batch_id using errcode = 'insufficient_privilege';
    end if;
    new.loaded_by := session_user;
    return new;
exception when object_not_in_prerequisite_state then  -- currval before any nextval in this session
    raise exception 'raw.ingest_batch: batch_id % bukan dari urutan (sequence); id batch tidak boleh dipilih sendiri',
        new.batch_id using errcode = 'insufficient_privilege';
end;
$$;

create trigger ingest_batch_stamp before insert on raw.ingest_batch
    for each row execute function raw.ingest_batch_stamp();

create or replace function raw.batch_retraction_stamp() returns trigger
language plpgsql as $$
begin
    new.retracted_by := session_user;
    new.retracted_at := now();
    return new;
end;
$$;

create trigger batch_retraction_stamp before insert on raw.batch_retraction
    for each row execute function raw.batch_retraction_stamp();

-- Punches attach to an ok batch of their own source (pull/usb/push); users to an ok punch batch;
-- reference rows to an ok batch of their kind (TG_ARGV[0]). One set-based check per statement.
create or replace function raw.device_punch_batch_exists() returns trigger
language plpgsql as $$
declare bad record;
begin
    select n.batch_id, n.source, b.batch_id as found, b.kind, b.status into bad
      from (select distinct batch_id, source from new_rows) n
      left join raw.ingest_batch b on b.batch_id = n.batch_id
     where b.batch_id is null or b.status <> 'ok' or b.kind <> n.source
     limit 1;
    if not found then
        return null;
    end if;
    if bad.found is null then
        raise exception 'raw.device_punch: batch_id % tidak ada di raw.ingest_batch', bad.batch_id
            using errcode = 'foreign_key_violation';
    end if;
    raise exception 'raw.device_punch: batch_id % berjenis % (status %), bukan batch % yang ok: punch ditolak',
        bad.batch_id, bad.kind, bad.status, bad.source using errcode = 'check_violation';
end;
$$;

create or replace function raw.rows_match_batch_kind() returns trigger
language plpgsql as $$
declare bad record;
begin
    select n.batch_id, b.kind, b.status into bad
      from (select distinct batch_id from new_rows) n
      join raw.ingest_batch b on b.batch_id = n.batch_id
     where b.status <> 'ok' or not (b.kind = any (tg_argv))
     limit 1;
    if found then
        raise exception 'raw.%: batch_id % berjenis % (status %), bukan batch % yang ok: baris ditolak',
            tg_table_name, bad.batch_id, bad.kind, bad.status, array_to_string(tg_argv, '/')
            using errcode = 'check_violation';
    end if;
    return null;
end;
$$;

create trigger device_user_batch_kind after insert on raw.device_user referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('pull', 'usb', 'push');
create trigger opd_batch_kind after insert on raw.opd referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('opd');
create trigger device_batch_kind after insert on raw.device referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('devices');
create trigger employee_batch_kind after insert on raw.employee referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('employees');
create trigger employee_pin_batch_kind after insert on raw.employee_pin referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('pins');
create trigger leave_batch_kind after insert on raw.leave referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('leave');

-- A registry row names only the variables meant for it (the loader says so per row first).
alter table raw.device add constraint device_comm_key_ref_name
    check (comm_key_ref ~ '^ABSENSI_COMMKEY_[A-Z0-9_]+$') not valid;
alter table raw.device add constraint device_push_token_ref_name
    check (push_token_ref ~ '^ABSENSI_ADMS_TOKEN_[A-Z0-9_]+$') not valid;

-- ops and quality: what was locked and what the gate said is never rewritten, by any role.
create or replace function ops.forbid_rewrite() returns trigger
language plpgsql as $$
begin
    raise exception '%.% hanya boleh ditambah (append-only): % ditolak', tg_table_schema, tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

do $$
declare t text;
begin
    foreach t in array array['ops.month_lock', 'ops.locked_attendance_daily', 'ops.locked_deduction_monthly',
                             'ops.locked_adjustment', 'quality.run', 'quality.result',
                             'quality.quarantine_count'] loop
        execute format('create trigger %I before update or delete on %s
                        for each row execute function ops.forbid_rewrite()',
                       split_part(t, '.', 2) || '_append_only', t);
        execute format('create trigger %I before truncate on %s
                        for each statement execute function ops.forbid_rewrite()',
                       split_part(t, '.', 2) || '_no_truncate', t);
    end loop;
end;
$$;

create or replace function ops.month_lock_stamp() returns trigger
language plpgsql as $$
begin
    new.locked_at := now();
    new.locked_by := session_user;
    return new;
end;
$$;

create trigger month_lock_stamp before insert on ops.month_lock
    for each row execute function ops.month_lock_stamp();

-- A locked copy belongs to the close that locked its month: the lock row must be this
-- transaction's (locked_at = now()), so a month locked earlier cannot gain rows afterwards.
create or replace function ops.locked_rows_in_locking_transaction() returns trigger
language plpgsql as $$
declare late date;
begin
    select n.month into late
      from (select distinct month from new_rows) n
     where not exists (select 1 from ops.month_lock l where l.month = n.month and l.locked_at = now())
     limit 1;
    if found then
        raise exception 'ops.%: bulan % tidak dikunci dalam transaksi ini; salinan bulan terkunci tidak boleh ditambah',
            tg_table_name, late using errcode = 'insufficient_privilege';
    end if;
    return null;
end;
$$;

create trigger locked_attendance_daily_in_lock after insert on ops.locked_attendance_daily
    referencing new table as new_rows for each statement execute function ops.locked_rows_in_locking_transaction();
create trigger locked_deduction_monthly_in_lock after insert on ops.locked_deduction_monthly
    referencing new table as new_rows for each statement execute function ops.locked_rows_in_locking_transaction();
create trigger locked_adjustment_in_lock after insert on ops.locked_adjustment
    referencing new table as new_rows for each statement execute function ops.locked_rows_in_locking_transaction();

create or replace function quality.run_stamp() returns trigger
language plpgsql as $$
begin
    new.run_by := session_user;
    return new;
end;
$$;

create trigger run_stamp before insert on quality.run for each row execute function quality.run_stamp();

alter function raw.ingest_batch_stamp() owner to absensi_owner;
alter function raw.batch_retraction_stamp() owner to absensi_owner;
alter function raw.rows_match_batch_kind() owner to absensi_owner;
alter function raw.device_punch_batch_exists() owner to absensi_owner;
alter function ops.forbid_rewrite() owner to absensi_owner;
alter function ops.month_lock_stamp() owner to absensi_owner;
alter function ops.locked_rows_in_locking_transaction() owner to absensi_owner;
alter function quality.run_stamp() owner to absensi_owner;

-- Grants: exactly what each step needs.
revoke all on all tables in schema raw, ops, quality from public;
revoke insert, update, delete, truncate on all tables in schema quality from absensi_transform;
revoke insert, update, delete, truncate on ops.month_lock, ops.locked_attendance_daily,
    ops.locked_deduction_monthly, ops.locked_adjustment from absensi_transform, absensi_ingest;

-- transform (dbt): also the intermediate schema, and only its own watermark in ops.
grant usage, create on schema intermediate to absensi_transform;
grant select on all tables in schema quality to absensi_transform;

-- gate: reads what it validates (raw, ops, the marts through absensi_analyst, the attendance
-- window), the only writer of quality.*.
grant usage on schema raw, ops, quality, staging, intermediate, marts to absensi_gate;
grant select on all tables in schema raw to absensi_gate;
grant select on all tables in schema ops to absensi_gate;
grant select, insert on quality.run, quality.result, quality.quarantine_count to absensi_gate;

-- close: reads the marts (absensi_analyst) and ops, the only writer of the lock and its copies.
grant usage on schema ops, staging, intermediate, marts to absensi_close;
grant select on all tables in schema ops to absensi_close;
grant insert on ops.month_lock, ops.locked_attendance_daily, ops.locked_deduction_monthly,
    ops.locked_adjustment to absensi_close;
grant usage on schema quality to absensi_close;
grant select on all tables in schema quality to absensi_close;

-- readers of the rule seeds (the report's sanction levels): dbt grants the tables, this the schema.
grant usage on schema staging to absensi_analyst;
