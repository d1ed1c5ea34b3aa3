-- Every version of each opd row from ok batches (see macros/ok_batch_versions.sql).
{{ ok_batch_versions('opd') }}
