-- Punches whose clock cannot be true: before min_plausible_punch (a flat clock battery resets to
-- 2000) or more than a day ahead of the server when the batch was read. Never counted.
select
    device_sn::text as device_sn,
    device_pin::text as device_pin,
    punch_local::timestamp as punch_local,
    nip::text as nip,
    batch_id::bigint as batch_id,
    server_local_at_read::timestamp as server_local_at_read,
    (case
        when punch_local < '{{ var("min_plausible_punch") }}'::timestamp then 'sebelum {{ var("min_plausible_punch") }}'
        else 'lebih dari 1 hari setelah waktu server'
    end)::text as problem
from {{ ref('int_punches_matched') }}
where is_impossible_clock
