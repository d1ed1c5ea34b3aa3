-- E-kinerja scores (issue 20): `absensi load kinerja FILE.csv` (nip, bulan, nilai 0–100), the score
-- a TPP policy's productivity part (component `kinerja`) is paid by. Versioned by batch like every
-- reference: the newest counted batch wins per (nip, bulan); raw is never edited.
alter table raw.ingest_batch drop constraint ingest_batch_kind_check;
alter table raw.ingest_batch add constraint ingest_batch_kind_check
    check (kind in ('pull', 'usb', 'push', 'opd', 'devices', 'employees', 'pins', 'leave', 'koreksi', 'kinerja'));

create table raw.kinerja (
    batch_id        bigint not null references raw.ingest_batch (batch_id),
    row_no          integer not null,
    nip             text not null,
    bulan           date not null check (extract(day from bulan) = 1),  -- first day of the month
    nilai           numeric(5, 2) not null check (nilai between 0 and 100),
    primary key (batch_id, row_no)
);
create index kinerja_nip_idx on raw.kinerja (nip, bulan);

create trigger kinerja_append_only before update or delete on raw.kinerja
    for each row execute function raw.forbid_rewrite();
create trigger kinerja_no_truncate before truncate on raw.kinerja
    for each statement execute function raw.forbid_rewrite();
create trigger kinerja_batch_kind after insert on raw.kinerja referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('kinerja');

revoke all on raw.kinerja from public;
grant select, insert on raw.kinerja to absensi_ingest;
grant select on raw.kinerja to absensi_transform, absensi_gate;
