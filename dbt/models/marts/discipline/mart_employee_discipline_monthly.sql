-- Per employee per month: attendance and punctuality, and the employee's discipline rank inside
-- the OPD that month (1 = most disciplined: fewest TK days, then most on-time days, then fewest late).
-- Final days only: MENUNGGU days (days_menunggu) are neither present nor absent.
with monthly as (
    select * from {{ ref('int_attendance_monthly') }}
),

employees as (
    select * from {{ ref('stg_raw__employees') }}
)

select
    -- identifiers
    monthly.nip::text as nip,
    monthly.month::date as month,
    -- dimensions
    monthly.opd_code::text as opd_code,
    employees.nama::text as nama,
    employees.jenis_pegawai::text as jenis_pegawai,
    -- facts
    monthly.workdays,
    monthly.days_hadir,
    monthly.days_tk,
    monthly.days_leave,
    monthly.days_menunggu,
    monthly.days_on_time,
    monthly.days_late,
    monthly.days_early_leave,
    round(
        monthly.days_hadir::numeric / nullif(monthly.workdays - monthly.days_leave - monthly.days_menunggu, 0), 4
    )::numeric(6, 4) as attendance_rate,
    round(monthly.days_on_time::numeric / nullif(monthly.days_hadir, 0), 4)::numeric(6, 4) as punctuality_rate,
    (rank() over (
        partition by monthly.opd_code, monthly.month
        order by monthly.days_tk asc, monthly.days_on_time desc, monthly.days_late asc, monthly.days_early_leave asc
    ))::integer as rank_in_opd
from monthly
left join employees on employees.nip = monthly.nip
