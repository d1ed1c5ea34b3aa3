-- One person enrolled under several PINs on one device (the design allows one enrolment per
-- person): for every registered device, the PINs valid there (device-specific or every-device).
with pins as (
    select * from {{ ref('stg_raw__employee_pins') }}
),

devices as (
    select * from {{ ref('stg_raw__devices') }}
),

pins_per_device as (
    select
        devices.device_sn,
        pins.nip,
        pins.device_pin
    from devices
    inner join pins on pins.device_sn = devices.device_sn or pins.device_sn is null
)

select
    device_sn::text as device_sn,
    nip::text as nip,
    count(distinct device_pin)::integer as pin_count,
    string_agg(distinct device_pin, ', ')::text as device_pins
from pins_per_device
group by device_sn, nip
having count(distinct device_pin) > 1
