-- Every version of each leave row from ok batches, with the previous version of the same letter
-- (nip, mulai; previous_batch_id, prev_*; see macros/ok_batch_versions.sql). A withdrawn letter
-- (status 'dicabut', migration 0010) covers no day: its sampai is the day before mulai, so the
-- withdrawal is a change of sampai and every day the letter covered is recomputed.
{{ ok_batch_versions(
    'leave',
    columns=['nip', 'jenis', 'mulai', 'sampai', 'nomor_surat', 'status'],
    key=['nip', 'mulai'],
    compared=['jenis', 'sampai'],
    overrides={'sampai': "case when source.status = 'dicabut' then source.mulai - 1 else source.sampai end"},
) }}
