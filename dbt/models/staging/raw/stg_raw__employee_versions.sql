-- Every version of each employee row from ok batches (see macros/ok_batch_versions.sql).
{{ ok_batch_versions('employee') }}
