-- Corrections and permits (issue 15, moderasi): `absensi load koreksi FILE.csv`. One row per
-- correction an OPD submitted (DIAJUKAN) and BKPSDM approved (DISETUJUI) or refused (DITOLAK); only
-- DISETUJUI counts, the others are kept and shown (marts.mart_correction_log). Versioned by batch
-- like every reference (the newest batch wins per key); punches are never edited: the daily facts
-- show a correction's effect.
alter table raw.ingest_batch drop constraint ingest_batch_kind_check;
alter table raw.ingest_batch add constraint ingest_batch_kind_check
    check (kind in ('pull', 'usb', 'push', 'opd', 'devices', 'employees', 'pins', 'leave', 'koreksi'));

create table raw.koreksi (
    batch_id        bigint not null references raw.ingest_batch (batch_id),
    row_no          integer not null,
    nip             text,                  -- null for MESIN_RUSAK (every dependent of the device)
    tanggal         date not null,
    jenis           text not null check (jenis in (
        'LUPA_MASUK', 'LUPA_PULANG', 'IZIN_TERLAMBAT', 'IZIN_PULANG_CEPAT', 'DL_SEBAGIAN', 'WFH', 'WFA',
        'MESIN_RUSAK'
    )),
    jam             time,                  -- LUPA_*: the forgotten check-in/out (device clock)
    device_sn       text,                  -- MESIN_RUSAK: the broken/offline device
    sampai          date,                  -- MESIN_RUSAK: last day (null = tanggal only)
    alasan          text,
    nomor_surat     text,
    diajukan_oleh   text,
    diajukan_pada   date,
    disetujui_oleh  text,
    disetujui_pada  date,
    status          text not null check (status in ('DISETUJUI', 'DITOLAK', 'DIAJUKAN')),
    primary key (batch_id, row_no),
    check ((jenis = 'MESIN_RUSAK') = (nip is null)),
    check ((jenis = 'MESIN_RUSAK') = (device_sn is not null)),
    check (jenis not in ('LUPA_MASUK', 'LUPA_PULANG') or jam is not null),
    check (sampai is null or sampai >= tanggal),
    check (status <> 'DISETUJUI' or btrim(coalesce(disetujui_oleh, '')) <> ''),
    check (disetujui_pada is null or diajukan_pada is null or disetujui_pada >= diajukan_pada)
);
create index koreksi_nip_idx on raw.koreksi (nip, tanggal);
create index koreksi_device_idx on raw.koreksi (device_sn, tanggal) where device_sn is not null;

create trigger koreksi_append_only before update or delete on raw.koreksi
    for each row execute function raw.forbid_rewrite();
create trigger koreksi_no_truncate before truncate on raw.koreksi
    for each statement execute function raw.forbid_rewrite();
create trigger koreksi_batch_kind after insert on raw.koreksi referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('koreksi');

revoke all on raw.koreksi from public;
grant select, insert on raw.koreksi to absensi_ingest;
grant select on raw.koreksi to absensi_transform, absensi_gate;
