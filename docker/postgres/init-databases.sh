#!/usr/bin/env bash
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one server, three
# databases (warehouse, Airflow metadata, Metabase application DB), each with its own logins.
# tests/warehouse/test_roles.py runs this very script against a real server and proves what each
# login can and cannot do.
#
# The warehouse belongs to absensi_owner, a NOLOGIN role no service logs in as (migration 0009):
# only its members can ALTER a table (DISABLE TRIGGER is the one way past the append-only
# triggers), and its only member is the migration login, used by `absensi db migrate` in
# airflow-init and nowhere else. Every service logs in as a non-owner with its step's group role:
#   absensi_pipeline  Airflow tasks: pull, load files, retract, quality gate, lock months, reports
#   absensi_dbt       dbt (ABSENSI_DBT_DATABASE_URL): read raw/ops, build staging/intermediate/marts
#   absensi_adms      the ADMS push receiver: append push batches, its ops.adms_* state
# The group roles are the ones the migrations grant to (created here first so logins can be members).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v migrate_pw="$ABSENSI_MIGRATE_PASSWORD" \
  -v pipeline_pw="$ABSENSI_DB_PASSWORD" \
  -v dbt_pw="$ABSENSI_DBT_DB_PASSWORD" \
  -v adms_pw="$ABSENSI_ADMS_DB_PASSWORD" \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v metabase_pw="$METABASE_DB_PASSWORD" \
  -v reader_pw="$METABASE_READER_PASSWORD" \
  -v finance_pw="$FINANCE_READER_PASSWORD" <<'SQL'
create role absensi_owner nologin;
create role absensi_ingest nologin;
create role absensi_transform nologin;
create role absensi_gate nologin;
create role absensi_close nologin;
create role absensi_analyst nologin;
create role absensi_metabase nologin;
create role absensi_finance nologin;

-- Migrations only (airflow-init): becomes absensi_owner to create and alter the schema.
create role absensi_migrator login password :'migrate_pw' in role absensi_owner;
create database absensi owner absensi_owner;
revoke create on database absensi from public;

create role absensi_pipeline login password :'pipeline_pw'
  in role absensi_ingest, absensi_gate, absensi_close, absensi_analyst;
create role absensi_dbt login password :'dbt_pw' in role absensi_transform;
create role absensi_adms login password :'adms_pw' in role absensi_ingest;

-- Metabase reads marts through this login; finance tools through the other.
create role metabase_reader login password :'reader_pw' in role absensi_metabase, absensi_analyst;
create role finance_reader login password :'finance_pw' in role absensi_finance;

create role airflow login password :'airflow_pw';
create database airflow owner airflow;

create role metabase login password :'metabase_pw';
create database metabase owner metabase;
SQL
