-- Each OPD's calendar (issue 14, "unit calendars"): its schedule (seed work_schedules, whose weekday
-- rows are the unit's working weekdays, e.g. Puskesmas Mon–Sat) and whether national holidays and
-- cuti bersama close it. Seed opd_schedule: a row naming the opd_code wins over the row of its
-- jenis_opd; an OPD with neither uses `standar`, closed on both. calendar_id is the key of
-- int_calendar_workdays: the schedule_id itself for the usual rule (closed on both), else the
-- schedule_id with the rule (`:KL` = open on national holidays, closed on cuti bersama; K = kerja).
with opds as (
    select * from {{ ref('stg_raw__opds') }}
),

opd_schedule as (
    select * from {{ ref('opd_schedule') }}
),

resolved as (
    select
        opds.opd_code,
        coalesce(by_code.schedule_id, by_type.schedule_id, 'standar') as schedule_id,
        coalesce(
            case
                when by_code.opd_code is not null then by_code.tutup_libur_nasional
                else by_type.tutup_libur_nasional
            end,
            true
        ) as closed_on_national_holidays,
        coalesce(
            case
                when by_code.opd_code is not null then by_code.tutup_cuti_bersama
                else by_type.tutup_cuti_bersama
            end,
            true
        ) as closed_on_cuti_bersama
    from opds
    left join opd_schedule as by_code on by_code.opd_code = opds.opd_code
    left join opd_schedule as by_type
        on
            by_type.jenis_opd = opds.jenis_opd
            and by_type.opd_code is null
)

select
    opd_code,
    schedule_id,
    closed_on_national_holidays,
    closed_on_cuti_bersama,
    schedule_id || case
        when closed_on_national_holidays and closed_on_cuti_bersama then ''
        else
            ':'
            || case when closed_on_national_holidays then 'L' else 'K' end
            || case when closed_on_cuti_bersama then 'L' else 'K' end
    end as calendar_id
from resolved
