-- Every version of each leave row from ok batches, with the previous version of the same letter
-- (nip, mulai; previous_batch_id, prev_*; see macros/ok_batch_versions.sql).
{{ ok_batch_versions(
    'leave',
    columns=['nip', 'jenis', 'mulai', 'sampai', 'nomor_surat'],
    key=['nip', 'mulai'],
    compared=['jenis', 'sampai'],
) }}
