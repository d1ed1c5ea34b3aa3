-- Punches whose PIN maps to no employee (neither for that device nor for every device), per device
-- and PIN: they count for nobody until a PIN file maps them (then the next run picks them up).
select
    device_sn::text as device_sn,
    device_pin::text as device_pin,
    count(*)::integer as punches,
    min(punch_local)::timestamp as first_punch_at,
    max(punch_local)::timestamp as last_punch_at,
    max(batch_id)::bigint as last_batch_id
from {{ ref('int_punches_matched') }}
where nip is null and not is_impossible_clock
group by device_sn, device_pin
