-- Quality gate (issue 5): every `absensi check` run and each expectation's result, so a DAG, an
-- analyst or an auditor can see why a month was (not) published, naming the rows that broke it.
create schema if not exists quality;

create table quality.run (
    run_id             uuid primary key,
    started_at         timestamptz not null,
    finished_at        timestamptz not null default now(),
    month              date,                      -- first day of the checked month; null = everything
    marts_schema       text not null,
    publishable        boolean not null,          -- no blocking (critical) expectation failed
    expectations       integer not null,
    failed_blocking    integer not null,
    failed_warning     integer not null,
    docs_path          text,                      -- where the data docs were built
    gx_version         text not null,
    run_by             text not null default current_user
);
create index run_started_idx on quality.run (started_at desc);

create table quality.result (
    run_id             uuid not null references quality.run (run_id),
    suite              text not null,             -- raw | marts | operations
    asset              text not null,             -- the table or view validated
    expectation        text not null,             -- stable name of the check inside the suite
    expectation_type   text not null,             -- the GX expectation class
    severity           text not null check (severity in ('critical', 'warning', 'info')),
    success            boolean not null,
    observed_value     jsonb,
    unexpected_count   bigint,
    failing_rows       jsonb,                     -- sample of the rows that broke it (keys + values)
    description        text not null,
    error              text,                      -- the expectation could not run (SQL error ...)
    primary key (run_id, suite, asset, expectation)
);
create index result_failed_idx on quality.result (run_id) where not success;

-- Quarantine sizes per run: "quarantine growing" compares against the previous run.
create table quality.quarantine_count (
    run_id     uuid not null references quality.run (run_id),
    view_name  text not null,
    row_count  bigint not null,
    primary key (run_id, view_name)
);

grant usage on schema quality to absensi_analyst, absensi_metabase, absensi_transform;
grant select on all tables in schema quality to absensi_analyst, absensi_metabase;
-- the gate runs inside the transform step (Airflow), so that role records its runs
grant select, insert on all tables in schema quality to absensi_transform;
