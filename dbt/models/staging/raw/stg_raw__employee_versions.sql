-- Every version of each employee row from ok batches, with the previous version of the same NIP
-- (previous_batch_id, prev_*; see macros/ok_batch_versions.sql).
{{ ok_batch_versions(
    'employee',
    columns=[
        'nip', 'nama', 'jenis_pegawai', 'golongan', 'jabatan', 'kelas_jabatan', 'opd_code',
        'tunjangan_pokok', 'aktif_mulai', 'aktif_sampai',
    ],
    key=['nip'],
    compared=['opd_code', 'jenis_pegawai', 'tunjangan_pokok', 'aktif_mulai', 'aktif_sampai'],
) }}
