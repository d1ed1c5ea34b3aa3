-- Every version of each leave row from ok batches (see macros/ok_batch_versions.sql).
{{ ok_batch_versions('leave') }}
