-- Which devices an employee's days depend on (issue 13, docs/CONTRACTS.md "Completeness"): every
-- active registered device of the employee's OPD, and every active device on which one of the
-- employee's PINs is registered (pins.csv with a device_sn). The devices the employee actually
-- punched on a day are added per day in int_attendance_days_priced. An employee whose OPD has no
-- device and whose PINs name none depends on no device: the day is final once it has ended.
with employees as (
    select * from {{ ref('stg_raw__employees') }}
),

devices as (
    select * from {{ ref('stg_raw__devices') }}
    where coalesce(is_active, true)
),

pins as (
    select * from {{ ref('stg_raw__employee_pins') }}
    where device_sn is not null
)

select
    employees.nip,
    devices.device_sn,
    'opd' as dependency
from employees
inner join devices on devices.opd_code = employees.opd_code
union
select
    pins.nip,
    devices.device_sn,
    'pin' as dependency
from pins
inner join devices on devices.device_sn = pins.device_sn
