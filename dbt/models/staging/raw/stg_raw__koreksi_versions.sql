-- Every version of each correction row from counted batches (issue 15), with the previous version
-- of the same correction: key (tanggal, jenis, nip, device_sn) — nip for an employee's correction,
-- device_sn for MESIN_RUSAK (see macros/ok_batch_versions.sql).
{{ ok_batch_versions(
    'koreksi',
    columns=[
        'nip', 'tanggal', 'jenis', 'jam', 'device_sn', 'sampai', 'alasan', 'nomor_surat',
        'diajukan_oleh', 'diajukan_pada', 'disetujui_oleh', 'disetujui_pada', 'status',
    ],
    key=['tanggal', 'jenis', 'nip', 'device_sn'],
    compared=['status', 'jam', 'sampai'],
) }}
