"""What the Airflow DAGs do, as plain functions: the DAG files in `dags/` only wire these, and the
CLI (`absensi demo`, `absensi close-month`, `absensi inbox`) calls the same ones."""
