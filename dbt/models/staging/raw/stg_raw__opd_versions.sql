-- Every version of each opd row from ok batches, with the previous version of the same opd_code
-- (previous_batch_id, prev_jenis_opd; see macros/ok_batch_versions.sql).
{{ ok_batch_versions(
    'opd',
    columns=['opd_code', 'nama_opd', 'jenis_opd'],
    key=['opd_code'],
    compared=['jenis_opd'],
) }}
