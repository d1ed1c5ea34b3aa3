-- Rosters (issue 14): `absensi load roster FILE.csv` (nip, tanggal, shift_code), the shift an employee
-- works on the day it starts (seed shift_types; `L` = a rostered day off). Versioned by batch like every
-- reference: the newest counted batch wins per (nip, tanggal); raw is never edited. An employee-day
-- without a roster row keeps the regular schedule of the employee's OPD.
alter table raw.ingest_batch drop constraint ingest_batch_kind_check;
alter table raw.ingest_batch add constraint ingest_batch_kind_check
    check (kind in (
        'pull', 'usb', 'push', 'opd', 'devices', 'employees', 'pins', 'leave', 'koreksi', 'kinerja', 'roster'
    ));

create table raw.roster (
    batch_id        bigint not null references raw.ingest_batch (batch_id),
    row_no          integer not null,
    nip             text not null,
    tanggal         date not null,   -- the day the shift starts (a night shift ends the next day)
    shift_code      text not null,   -- seed shift_types (or L, a day off)
    primary key (batch_id, row_no)
);
create index roster_nip_idx on raw.roster (nip, tanggal);
create index roster_tanggal_idx on raw.roster (tanggal);

create trigger roster_append_only before update or delete on raw.roster
    for each row execute function raw.forbid_rewrite();
create trigger roster_no_truncate before truncate on raw.roster
    for each statement execute function raw.forbid_rewrite();
create trigger roster_batch_kind after insert on raw.roster referencing new table as new_rows
    for each statement execute function raw.rows_match_batch_kind('roster');

revoke all on raw.roster from public;
grant select, insert on raw.roster to absensi_ingest;
grant select on raw.roster to absensi_transform, absensi_gate;

-- The daily facts carry the shift (marts.fct_attendance_daily.shift_code, REG = the regular day); the
-- close's snapshot keeps it, so a full refresh gives a locked month back with its shifts. Days locked
-- before rosters existed were all regular days.
alter table ops.locked_attendance_daily add column shift_code text not null default 'REG';
