-- ops: state the transform keeps between runs, and the monthly close's frozen months (DESIGN §6).
-- A locked month's rows are copied here by absensi.close.lock_month; dbt reads them back for that
-- month instead of recomputing, so a paid month never changes. Corrections land as adjustments.
create schema if not exists ops;

create table ops.month_lock (
    month      date primary key check (month = date_trunc('month', month)::date),
    locked_at  timestamptz not null default now(),
    locked_by  text not null default current_user,
    note       text
);

-- fct_attendance_daily rows of locked months, exactly as they were at the close.
create table ops.locked_attendance_daily (
    nip            text not null,
    work_date      date not null,
    opd_code       text not null,
    policy_id      text not null,
    schedule_in    time not null,
    schedule_out   time not null,
    first_in       timestamp,
    last_out       timestamp,
    late_minutes   integer,
    early_minutes  integer,
    tl_tier        integer not null,
    psw_tier       integer not null,
    status         text not null,
    deduction_pct  numeric(6, 2) not null,
    reason         text not null,
    month          date not null references ops.month_lock (month),
    primary key (nip, work_date)
);
create index locked_attendance_daily_month_idx on ops.locked_attendance_daily (month);

-- fct_allowance_deduction_monthly rows of locked months (what finance paid).
create table ops.locked_deduction_monthly (
    nip                 text not null,
    month               date not null references ops.month_lock (month),
    opd_code            text not null,
    policy_id           text not null,
    base_amount         bigint not null,
    workdays            integer not null,
    days_hadir          integer not null,
    days_tk             integer not null,
    days_leave          integer not null,
    total_pct_uncapped  numeric(8, 2) not null,
    total_pct           numeric(8, 2) not null,
    deduction_amount    bigint not null,
    net_amount          bigint not null,
    primary key (nip, month)
);

-- Adjustments (corrections of earlier locked months) that were paid in a month when it was locked.
create table ops.locked_adjustment (
    nip                         text not null,
    month                       date not null references ops.month_lock (month),
    corrected_month             date not null,
    opd_code                    text not null,
    policy_id                   text not null,
    base_amount                 bigint not null,
    locked_total_pct            numeric(8, 2) not null,
    corrected_total_pct         numeric(8, 2) not null,
    locked_deduction_amount     bigint not null,
    corrected_deduction_amount  bigint not null,
    adjustment_amount           bigint not null,
    reason                      text not null,
    primary key (nip, month, corrected_month)
);

-- The newest raw.ingest_batch the incremental models have seen (written by dbt post-hooks).
create table ops.transform_state (
    model          text primary key,
    last_batch_id  bigint not null,
    updated_at     timestamptz not null default now()
);

-- Recomputing one employee's days (after a reference change) looks their punches up by pin.
create index if not exists device_punch_pin_local_idx on raw.device_punch (device_pin, punch_local);

grant usage on schema ops to absensi_transform;
grant select on all tables in schema ops to absensi_transform;
grant insert, update on ops.transform_state to absensi_transform;
grant usage on schema ops to absensi_analyst, absensi_metabase, absensi_finance;
grant select on ops.month_lock to absensi_analyst, absensi_metabase, absensi_finance;
