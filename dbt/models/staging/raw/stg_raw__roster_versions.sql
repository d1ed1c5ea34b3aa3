-- Every version of each roster row from counted batches (issue 14), with the previous version of the
-- same (nip, tanggal) (see macros/ok_batch_versions.sql): int_attendance_touched recomputes the days a
-- new roster batch names.
{{ ok_batch_versions(
    'roster',
    columns=['nip', 'tanggal', 'shift_code'],
    key=['nip', 'tanggal'],
    compared=['shift_code'],
) }}
