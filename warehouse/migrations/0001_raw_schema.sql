-- Raw layer: what devices and reference exports said, as they said it. Append-only (DESIGN §5, §7).
create schema if not exists raw;

create table raw.ingest_batch (
    batch_id            bigint generated always as identity primary key,
    kind                text not null check (kind in ('pull', 'usb', 'push', 'opd', 'devices', 'employees', 'pins', 'leave')),
    device_sn           text,
    source_file         text,
    content_sha256      text,
    started_at          timestamptz not null,
    finished_at         timestamptz not null default now(),
    status              text not null check (status in ('ok', 'failed')),
    records_read        integer not null default 0 check (records_read >= 0),
    records_new         integer not null default 0 check (records_new >= 0),
    device_time         timestamp,          -- the device's own clock at pull time (its local time)
    server_time         timestamptz,        -- our clock at the same moment
    clock_skew_seconds  integer,            -- device local clock minus server clock in the device's timezone
    error               text,
    loaded_by           text not null default current_user
);
create index ingest_batch_kind_idx on raw.ingest_batch (kind, status, batch_id);
create index ingest_batch_device_idx on raw.ingest_batch (device_sn, batch_id);

create table raw.device_punch (
    device_sn    text not null,
    device_pin   text not null,
    punch_local  timestamp not null,        -- the device's clock, never rewritten
    verify_type  integer,
    punch_state  integer,
    work_code    integer,
    source       text not null check (source in ('pull', 'usb', 'push')),
    batch_id     bigint not null references raw.ingest_batch (batch_id),
    received_at  timestamptz not null default now(),
    constraint device_punch_natural_key unique (device_sn, device_pin, punch_local)
);
create index device_punch_batch_idx on raw.device_punch (batch_id);
create index device_punch_local_idx on raw.device_punch (punch_local);

create table raw.device_user (
    batch_id     bigint not null references raw.ingest_batch (batch_id),
    device_sn    text not null,
    uid          integer,
    device_pin   text not null,
    name         text,
    privilege    integer,
    card         text,
    received_at  timestamptz not null default now()
);
create index device_user_device_idx on raw.device_user (device_sn, batch_id);

create table raw.opd (
    batch_id   bigint not null references raw.ingest_batch (batch_id),
    row_no     integer not null,
    opd_code   text not null,
    nama_opd   text not null,
    jenis_opd  text not null,
    primary key (batch_id, row_no)
);

create table raw.device (
    batch_id      bigint not null references raw.ingest_batch (batch_id),
    row_no        integer not null,
    device_sn     text not null,
    name          text not null,
    opd_code      text not null,
    host          text not null,
    port          integer not null check (port between 1 and 65535),
    protocol      text not null check (protocol in ('tcp', 'udp')),
    timezone      text,                       -- IANA; null = the regency's
    comm_key_ref  text,                       -- name of the env var holding the comm key, never the key
    active        boolean not null default true,
    primary key (batch_id, row_no)
);

create table raw.employee (
    batch_id         bigint not null references raw.ingest_batch (batch_id),
    row_no           integer not null,
    nip              text not null,
    nama             text not null,
    jenis_pegawai    text not null check (jenis_pegawai in ('PNS', 'CPNS', 'PPPK', 'HONORER')),
    golongan         text,
    jabatan          text,
    kelas_jabatan    integer,
    opd_code         text not null,
    tunjangan_pokok  bigint not null check (tunjangan_pokok >= 0),
    aktif_mulai      date not null,
    aktif_sampai     date,
    primary key (batch_id, row_no)
);
create index employee_nip_idx on raw.employee (nip, batch_id);

create table raw.employee_pin (
    batch_id    bigint not null references raw.ingest_batch (batch_id),
    row_no      integer not null,
    nip         text not null,
    device_pin  text not null,
    device_sn   text,                         -- null = valid on every device
    primary key (batch_id, row_no)
);

create table raw.leave (
    batch_id     bigint not null references raw.ingest_batch (batch_id),
    row_no       integer not null,
    nip          text not null,
    jenis        text not null check (jenis in ('CUTI', 'SAKIT', 'IZIN', 'DL', 'TB')),
    mulai        date not null,
    sampai       date not null,
    nomor_surat  text,
    primary key (batch_id, row_no),
    check (sampai >= mulai)
);
create index leave_nip_idx on raw.leave (nip, mulai);

-- No role may rewrite history, the owner included: the only way past this trigger is a migration
-- that disables it explicitly (ALTER TABLE needs ownership), which leaves a trace in schema_migrations.
create or replace function raw.forbid_rewrite() returns trigger
language plpgsql as $$
begin
    raise exception 'raw.% hanya boleh ditambah (append-only): % ditolak', tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

do $$
declare t text;
begin
    foreach t in array array['ingest_batch', 'device_punch', 'device_user', 'opd', 'device',
                             'employee', 'employee_pin', 'leave'] loop
        execute format('create trigger %I_append_only before update or delete on raw.%I
                        for each row execute function raw.forbid_rewrite()', t, t);
        execute format('create trigger %I_no_truncate before truncate on raw.%I
                        for each statement execute function raw.forbid_rewrite()', t, t);
    end loop;
end;
$$;
