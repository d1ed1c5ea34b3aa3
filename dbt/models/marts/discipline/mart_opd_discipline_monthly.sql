-- Per OPD per month: headcount, attendance and punctuality rates, TK days and the OPD's rank among
-- all OPDs that month (1 = most disciplined: highest attendance rate, then punctuality). Rates are
-- over final days only: MENUNGGU days (not known yet) are counted apart (days_menunggu,
-- data_completeness, is_complete), so a silent device never ranks its OPD as undisciplined.
with monthly as (
    select * from {{ ref('int_attendance_monthly') }}
),

opds as (
    select * from {{ ref('stg_raw__opds') }}
),

per_opd as (
    select
        monthly.opd_code,
        monthly.month,
        count(distinct monthly.nip)::integer as headcount,
        sum(monthly.workdays)::integer as employee_workdays,
        sum(monthly.days_hadir)::integer as days_hadir,
        sum(monthly.days_tk)::integer as days_tk,
        sum(monthly.days_leave)::integer as days_leave,
        sum(monthly.days_menunggu)::integer as days_menunggu,
        sum(monthly.days_on_time)::integer as days_on_time,
        sum(monthly.days_late)::integer as days_late,
        sum(monthly.days_early_leave)::integer as days_early_leave
    from monthly
    group by monthly.opd_code, monthly.month
),

rated as (
    select
        per_opd.*,
        -- present on the days they were expected and that are known (leave and MENUNGGU days are not)
        round(
            per_opd.days_hadir::numeric
            / nullif(per_opd.employee_workdays - per_opd.days_leave - per_opd.days_menunggu, 0),
            4
        ) as attendance_rate,
        -- share of the employee-workdays already final
        round(
            (per_opd.employee_workdays - per_opd.days_menunggu)::numeric / nullif(per_opd.employee_workdays, 0), 4
        ) as data_completeness,
        round(per_opd.days_on_time::numeric / nullif(per_opd.days_hadir, 0), 4) as punctuality_rate
    from per_opd
)

select
    -- identifiers
    rated.opd_code::text as opd_code,
    rated.month::date as month,
    -- dimensions
    coalesce(opds.nama_opd, rated.opd_code)::text as nama_opd,
    opds.jenis_opd::text as jenis_opd,
    -- facts
    rated.headcount,
    rated.employee_workdays,
    rated.days_hadir,
    rated.days_tk,
    rated.days_leave,
    rated.days_on_time,
    rated.days_late,
    rated.days_early_leave,
    rated.days_menunggu,
    rated.data_completeness::numeric(6, 4) as data_completeness,
    (rated.days_menunggu = 0) as is_complete,
    rated.attendance_rate::numeric(6, 4) as attendance_rate,
    rated.punctuality_rate::numeric(6, 4) as punctuality_rate,
    -- an OPD with no final day to rate (its machine silent all month, or everyone on leave) is not
    -- ranked at all rather than ranked last
    (case when rated.attendance_rate is not null then rank() over (
        partition by rated.month, rated.attendance_rate is null
        order by rated.attendance_rate desc, rated.punctuality_rate desc nulls last, rated.days_tk asc
    ) end)::integer as discipline_rank
from rated
left join opds on opds.opd_code = rated.opd_code
