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
