-- Every version of each employee_pin row from ok batches, with the previous version of the same
-- PIN (trimmed, on the same device or on every device; previous_batch_id, prev_nip; see
-- macros/ok_batch_versions.sql).
{{ ok_batch_versions(
    'employee_pin',
    columns=['nip', 'device_pin', 'device_sn'],
    key=['btrim(device_pin)', "coalesce(nullif(btrim(device_sn), ''), '')"],
    compared=['nip'],
) }}
