-- Every version of each e-kinerja score row from counted batches (issue 20, migration 0012), with
-- the previous version of the same key (nip, bulan): see macros/ok_batch_versions.sql.
{{ ok_batch_versions(
    'kinerja',
    columns=['nip', 'bulan', 'nilai'],
    key=['nip', 'bulan'],
    compared=['nilai'],
) }}
