{{ config(materialized='table') }}
-- The days this run recomputes, as ranges: nip null = every employee on those dates.
-- Full mode (first run, --full-refresh): the whole window. Incremental: the dates of punches in
-- batches not seen yet, the window's tail (lookback) and days not computed yet, and for employees
-- whose reference data changed (employee row, PIN, leave letter, their OPD's type) their affected days,
-- and what a retraction recorded since the last run takes back (`absensi batch retract`).
-- high_batch_id is the newest batch this run covers and run_started_at when it read them;
-- fct_attendance_daily's post-hook records both in ops.transform_state.
{%- set full = attendance_full_mode() %}

with attendance_window as (
    select * from {{ ref('int_attendance_window') }}
),

high_water as (
    select coalesce(max(batch_id), 0) as high_batch_id
    from {{ ref('stg_raw__ingest_batches') }}
),

{% if full %}

touched as (
    select
        null::text as nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'full'::text as touched_by
    from attendance_window
)

{% else %}

previous_run as (
    select
        coalesce(max(last_batch_id), 0) as last_batch_id,
        coalesce(max(updated_at), '-infinity'::timestamptz) as last_run_started_at
    from {{ source('ops', 'transform_state') }}
    where model = 'fct_attendance_daily'
),

-- Batches after the last one seen, plus lower-numbered ones that committed after the last run read
-- (a batch takes its id before inserting its punches, so ids and commits can cross). A batch's
-- finished_at is set inside its transaction, so it is at most `late_commit_minutes` before its commit.
new_batches as (
    select batches.batch_id, batches.kind
    from {{ ref('stg_raw__ingest_batches') }} as batches
    cross join previous_run
    cross join high_water
    where
        batches.status = 'ok'
        and batches.batch_id > previous_run.last_batch_id - {{ var('batch_id_lookback') }}
        and batches.batch_id <= high_water.high_batch_id
        and (
            batches.batch_id > previous_run.last_batch_id
            or batches.finished_at >= previous_run.last_run_started_at - interval '{{ var("late_commit_minutes") }} minutes'
        )
),

-- Retractions since the last run (the same late-commit margin as batches). A retracted punch batch
-- touches the dates of its punches (read from raw: staging no longer shows them; the batch BRIN finds
-- them); a retracted reference batch may change any day of anyone. Days of locked months become
-- corrections, hence adjustments (int_attendance_corrections), never a change to what was paid.
new_retractions as (
    select retractions.batch_id, batches.kind
    from {{ source('raw', 'batch_retraction') }} as retractions
    inner join {{ source('raw', 'ingest_batch') }} as batches on batches.batch_id = retractions.batch_id
    cross join previous_run
    where retractions.retracted_at >= previous_run.last_run_started_at - interval '{{ var("late_commit_minutes") }} minutes'
),

retracted_punch_dates as (
    select distinct punches.punch_local::date as punch_date
    from {{ source('raw', 'device_punch') }} as punches
    where punches.batch_id in (select new_retractions.batch_id from new_retractions where new_retractions.kind in ('pull', 'usb', 'push'))
),

punch_dates as (
    select distinct punches.punch_date
    from {{ ref('stg_raw__device_punches') }} as punches
    where punches.batch_id in (select new_batches.batch_id from new_batches where new_batches.kind in ('pull', 'usb', 'push'))
),

computed_until as (
    select max(work_date) as last_computed from {{ source('marts_self', 'fct_attendance_daily') }}
),

employee_versions as (
    select * from {{ ref('stg_raw__employee_versions') }}
),

changed_employees as (
    select new_row.nip
    from employee_versions as new_row
    left join lateral (
        select older.*
        from employee_versions as older
        where older.nip = new_row.nip and older.batch_id < new_row.batch_id
        order by older.batch_id desc, older.row_no desc
        limit 1
    ) as old_row on true
    where
        new_row.batch_id in (select new_batches.batch_id from new_batches where new_batches.kind = 'employees')
        and (
            old_row.nip is null
            or (old_row.opd_code, old_row.jenis_pegawai, old_row.tunjangan_pokok, old_row.aktif_mulai, old_row.aktif_sampai)
            is distinct from
            (new_row.opd_code, new_row.jenis_pegawai, new_row.tunjangan_pokok, new_row.aktif_mulai, new_row.aktif_sampai)
        )
),

pin_versions as (
    select * from {{ ref('stg_raw__employee_pin_versions') }}
),

changed_pins as (
    select new_row.nip as new_nip, old_row.nip as old_nip
    from pin_versions as new_row
    left join lateral (
        select older.*
        from pin_versions as older
        where
            btrim(older.device_pin) = btrim(new_row.device_pin)
            and coalesce(nullif(btrim(older.device_sn), ''), '') = coalesce(nullif(btrim(new_row.device_sn), ''), '')
            and older.batch_id < new_row.batch_id
        order by older.batch_id desc, older.row_no desc
        limit 1
    ) as old_row on true
    where
        new_row.batch_id in (select new_batches.batch_id from new_batches where new_batches.kind = 'pins')
        and (old_row.nip is null or old_row.nip <> new_row.nip)
),

leave_versions as (
    select * from {{ ref('stg_raw__leave_versions') }}
),

changed_leave as (
    select
        new_row.nip,
        new_row.mulai as date_from,
        greatest(new_row.sampai, old_row.sampai) as date_to
    from leave_versions as new_row
    left join lateral (
        select older.*
        from leave_versions as older
        where older.nip = new_row.nip and older.mulai = new_row.mulai and older.batch_id < new_row.batch_id
        order by older.batch_id desc, older.row_no desc
        limit 1
    ) as old_row on true
    where
        new_row.batch_id in (select new_batches.batch_id from new_batches where new_batches.kind = 'leave')
        and (
            old_row.nip is null
            or (old_row.jenis, old_row.sampai) is distinct from (new_row.jenis, new_row.sampai)
        )
),

opd_versions as (
    select * from {{ ref('stg_raw__opd_versions') }}
),

changed_opd_employees as (
    select employees.nip
    from opd_versions as new_row
    left join lateral (
        select older.*
        from opd_versions as older
        where older.opd_code = new_row.opd_code and older.batch_id < new_row.batch_id
        order by older.batch_id desc, older.row_no desc
        limit 1
    ) as old_row on true
    inner join {{ ref('stg_raw__employees') }} as employees on employees.opd_code = new_row.opd_code
    where
        new_row.batch_id in (select new_batches.batch_id from new_batches where new_batches.kind = 'opd')
        and old_row.jenis_opd is distinct from new_row.jenis_opd
),

touched_ranges as (
    select null::text as nip, punch_date as date_from, punch_date as date_to, 'punches'::text as touched_by
    from punch_dates
    union all
    select
        null::text,
        greatest(attendance_window.window_start, attendance_window.window_end - {{ var('lookback_days') }}),
        attendance_window.window_end,
        'lookback'
    from attendance_window
    union all
    select
        null::text,
        greatest(attendance_window.window_start, coalesce(computed_until.last_computed + 1, attendance_window.window_start)),
        attendance_window.window_end,
        'new_days'
    from attendance_window
    cross join computed_until
    union all
    select nip, attendance_window.window_start, attendance_window.window_end, 'employee'
    from changed_employees cross join attendance_window
    union all
    select new_nip, attendance_window.window_start, attendance_window.window_end, 'pin'
    from changed_pins cross join attendance_window
    union all
    select old_nip, attendance_window.window_start, attendance_window.window_end, 'pin'
    from changed_pins cross join attendance_window
    where old_nip is not null
    union all
    select null::text, punch_date, punch_date, 'retraction' from retracted_punch_dates
    union all
    select null::text, attendance_window.window_start, attendance_window.window_end, 'retraction'
    from attendance_window
    where exists (select 1 from new_retractions where new_retractions.kind not in ('pull', 'usb', 'push'))
    union all
    select nip, date_from, date_to, 'leave' from changed_leave
    union all
    select nip, attendance_window.window_start, attendance_window.window_end, 'opd'
    from changed_opd_employees cross join attendance_window
),

-- Clip to the window; a range wholly outside it touches nothing.
touched as (
    select distinct
        touched_ranges.nip,
        greatest(touched_ranges.date_from, attendance_window.window_start) as date_from,
        least(touched_ranges.date_to, attendance_window.window_end) as date_to,
        touched_ranges.touched_by
    from touched_ranges
    cross join attendance_window
    where
        touched_ranges.date_from <= attendance_window.window_end
        and touched_ranges.date_to >= attendance_window.window_start
)

{% endif %}

select
    touched.nip,
    touched.date_from,
    touched.date_to,
    touched.touched_by,
    high_water.high_batch_id,
    now() as run_started_at,
    {{ 'true' if full else 'false' }} as is_full
from touched
cross join high_water
