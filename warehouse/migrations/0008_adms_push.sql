-- ADMS push (issue 18): devices that push their punches to `absensi adms serve` (/iclock/*).
--
-- The registry learns a third protocol, `push`. A push device is not pulled, so it needs no pull
-- address (it sits behind NAT or a 4G modem); it may carry a shared token (the name of the
-- environment variable holding it, never the token) and a source-address allow-list.
alter table raw.device drop constraint device_protocol_check;
alter table raw.device add constraint device_protocol_check check (protocol in ('tcp', 'udp', 'push'));
alter table raw.device alter column host drop not null, alter column port drop not null;
alter table raw.device add constraint device_pull_address
    check (protocol = 'push' or (host is not null and port is not null));
alter table raw.device
    add column push_token_ref text,   -- ABSENSI_ADMS_TOKEN_<…>: a relay in front of the device sends it
    add column push_allow text;       -- IPs/CIDRs the device may push from (blank = anywhere)

-- What the receiver keeps between a device's requests. Operational state, updated in place (raw
-- stays append-only): the upload stamps a device resumes from (written in the same transaction as
-- the punches they acknowledge), and when/from where it was last heard (every request, heartbeats
-- included: device health reads this instead of a batch row per heartbeat).
create table ops.adms_device (
    device_sn       text primary key,
    attlog_stamp    bigint,          -- the Stamp of the newest ATTLOG upload committed
    operlog_stamp   bigint,
    attphoto_stamp  bigint,
    first_seen_at   timestamptz not null default now(),
    last_seen_at    timestamptz not null default now(),
    last_seen_from  text,            -- the device's address as the receiver saw it
    last_request    text,            -- handshake | heartbeat | ATTLOG | OPERLOG | devicecmd | …
    push_version    text,            -- pushver the device announced at its handshake
    device_info     jsonb not null default '{}'::jsonb  -- its answer to the last INFO command
);

-- Commands for push devices (`absensi adms command SN CMD`), delivered at the device's next
-- heartbeat as `C:<command_id>:<text>`, answered on /iclock/devicecmd.
create table ops.adms_command (
    command_id   bigint generated always as identity primary key,
    device_sn    text not null,
    command      text not null check (command in ('INFO', 'CHECK', 'REBOOT', 'TIME')),
    queued_at    timestamptz not null default now(),
    queued_by    text not null default current_user,
    sent_at      timestamptz,
    sent_text    text,            -- the line the device received (TIME carries the clock of that moment)
    result_at    timestamptz,
    return_code  integer,         -- the device's Return= (0 = done)
    result       text             -- the device's whole answer, as it sent it (capped)
);
create index adms_command_pending_idx on ops.adms_command (device_sn, command_id) where sent_at is null;
create index adms_command_device_idx on ops.adms_command (device_sn, command_id);

grant usage on schema ops to absensi_ingest;
grant select, insert, update on ops.adms_device, ops.adms_command to absensi_ingest;
grant usage on ops.adms_command_command_id_seq to absensi_ingest;
grant select on ops.adms_device, ops.adms_command to absensi_transform, absensi_analyst, absensi_metabase;
