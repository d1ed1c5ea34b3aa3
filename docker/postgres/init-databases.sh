#!/usr/bin/env bash
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one server, three
# databases (warehouse, Airflow metadata, Metabase application DB), each with its own login.
# The warehouse's group roles are the ones migration 0002 grants to (created here first so the
# login users can be members); `absensi db migrate` in airflow-init creates the schemas.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v pipeline_pw="$ABSENSI_DB_PASSWORD" \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v metabase_pw="$METABASE_DB_PASSWORD" \
  -v reader_pw="$METABASE_READER_PASSWORD" \
  -v finance_pw="$FINANCE_READER_PASSWORD" <<'SQL'
create role absensi_ingest nologin;
create role absensi_transform nologin;
create role absensi_analyst nologin;
create role absensi_metabase nologin;
create role absensi_finance nologin;

-- The Airflow tasks: pull devices, load reference files, run dbt, lock months. Owns the warehouse
-- database (migrations); raw stays append-only through the triggers of migration 0001.
create role absensi_pipeline login password :'pipeline_pw' in role absensi_ingest, absensi_transform;
create database absensi owner absensi_pipeline;

-- Metabase reads marts through this login; finance tools through the other.
create role metabase_reader login password :'reader_pw' in role absensi_metabase, absensi_analyst;
create role finance_reader login password :'finance_pw' in role absensi_finance;

create role airflow login password :'airflow_pw';
create database airflow owner airflow;

create role metabase login password :'metabase_pw';
create database metabase owner metabase;
SQL
