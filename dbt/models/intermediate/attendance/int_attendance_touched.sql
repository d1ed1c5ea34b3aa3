{{ config(materialized='table') }}
-- The days this run recomputes, as ranges: nip null = every employee on those dates.
-- Full mode (first run, --full-refresh): the whole window. Incremental: the dates of punches in
-- batches not seen yet, the window's tail (lookback) and days not computed yet, and for employees
-- whose reference data changed (employee row, PIN, leave letter, their OPD's type) their affected days,
-- the days a new correction batch names (issue 15: the employee's day; MESIN_RUSAK: the device's
-- dates for everyone, as its dependents are found later),
-- and what a retraction recorded since the last run takes back (`absensi batch retract`).
-- Rosters (issue 14): the days a new roster batch names and their neighbours (a shift moves punches
-- between adjacent days), and for a new punch the rostered shift of the day before or after whose
-- window reaches into the punch's date (a 07:02 check-out after a night shift belongs to yesterday).
-- high_batch_id is the newest batch this run covers and run_started_at when it read them; the
-- build's on-run-end hook records both in ops.transform_state once every incremental model is built
-- (macros/record_transform_state.sql). The ranges of a previous run that never got there (killed, or
-- failed, between fct_attendance_daily and int_attendance_monthly) are touched again ('unfinished').
{%- set full = attendance_full_mode() %}
{%- set previous_touched = adapter.get_relation(
    database=this.database, schema=this.schema, identifier=this.identifier) if execute else none %}

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
    select
        batches.batch_id,
        batches.kind
    from {{ ref('stg_raw__ingest_batches') }} as batches
    cross join previous_run
    cross join high_water
    where
        batches.status = 'ok'
        and batches.batch_id > previous_run.last_batch_id - {{ var('batch_id_lookback') }}
        and batches.batch_id <= high_water.high_batch_id
        and (
            batches.batch_id > previous_run.last_batch_id
            or batches.finished_at
            >= previous_run.last_run_started_at - interval '{{ var("late_commit_minutes") }} minutes'
        )
),

-- Retractions since the last run (the same late-commit margin as batches). A retracted punch batch
-- touches the dates of its punches (read from raw: staging no longer shows them; the batch BRIN finds
-- them); a retracted reference batch may change any day of anyone. Days of locked months become
-- corrections, hence adjustments (int_attendance_corrections), never a change to what was paid.
new_retractions as (
    select
        retractions.batch_id,
        batches.kind
    from {{ source('raw', 'batch_retraction') }} as retractions
    inner join {{ source('raw', 'ingest_batch') }} as batches on batches.batch_id = retractions.batch_id
    cross join previous_run
    where
        retractions.retracted_at
        >= previous_run.last_run_started_at - interval '{{ var("late_commit_minutes") }} minutes'
),

retracted_punch_dates as (
    select distinct punches.punch_local::date as punch_date
    from {{ source('raw', 'device_punch') }} as punches
    where
        punches.batch_id in (
            select new_retractions.batch_id from new_retractions
            where new_retractions.kind in ('pull', 'usb', 'push')
        )
),

-- Issue 21: one lookup per new batch through the batch BRIN, whatever PostgreSQL estimates for
-- new_batches: a semi-join let it read all of raw.device_punch (a cost that grows with history)
-- whenever it expected many new batches. `offset 0` keeps the lateral subquery from being flattened
-- back into that join (an offset without an order, hence the noqa), so a parameterised scan per batch
-- is the only plan.
punch_dates as (
    select distinct batch_punches.punch_date
    from new_batches
    cross join
        lateral (
            select punches.punch_date
            from {{ ref('stg_raw__device_punches') }} as punches
            where punches.batch_id = new_batches.batch_id
            offset 0  -- noqa: AM09
        ) as batch_punches
    where new_batches.kind in ('pull', 'usb', 'push')
),

-- Dates that still have days not known yet (MENUNGGU): recomputed every run until they are final,
-- whether the device read that settles them brought punches or not (a partial index finds them).
pending_dates as (
    select distinct facts.work_date
    from {{ source('marts_self', 'fct_attendance_daily') }} as facts
    where facts.status = 'MENUNGGU'
),

computed_until as (
    select max(work_date) as last_computed from {{ source('marts_self', 'fct_attendance_daily') }}
),

-- Reference rows of new batches that changed something, each compared with its previous version
-- (previous_batch_id and the prev_* columns of the staging _versions views). The `exists` is implied
-- by the `in` after it, but as a one-time filter it guarantees that an hour without a new batch of
-- that kind never computes its version history (the views' windows run over every version).
employee_versions as (
    select * from {{ ref('stg_raw__employee_versions') }}
),

changed_employees as (
    select versions.nip
    from employee_versions as versions
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'employees'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'employees'
        )
        and (
            versions.previous_batch_id is null
            or (
                versions.prev_opd_code,
                versions.prev_jenis_pegawai,
                versions.prev_tunjangan_pokok,
                versions.prev_aktif_mulai,
                versions.prev_aktif_sampai
            )
            is distinct from (
                versions.opd_code,
                versions.jenis_pegawai,
                versions.tunjangan_pokok,
                versions.aktif_mulai,
                versions.aktif_sampai
            )
        )
),

pin_versions as (
    select * from {{ ref('stg_raw__employee_pin_versions') }}
),

changed_pins as (
    select
        versions.nip as new_nip,
        versions.prev_nip as old_nip
    from pin_versions as versions
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'pins'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'pins'
        )
        and (versions.prev_nip is null or versions.prev_nip <> versions.nip)
),

leave_versions as (
    select * from {{ ref('stg_raw__leave_versions') }}
),

changed_leave as (
    select
        versions.nip,
        versions.mulai as date_from,
        greatest(versions.sampai, versions.prev_sampai) as date_to
    from leave_versions as versions
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'leave'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'leave'
        )
        and (
            versions.previous_batch_id is null
            or (versions.prev_jenis, versions.prev_sampai) is distinct from (versions.jenis, versions.sampai)
        )
),

-- Every row of a new correction batch, changed or not: a file of corrections is small, and a row
-- repeated unchanged recomputes its day to the same result.
koreksi_versions as (
    select * from {{ ref('stg_raw__koreksi_versions') }}
),

changed_koreksi as (
    select
        versions.nip,
        versions.tanggal as date_from,
        greatest(coalesce(versions.sampai, versions.tanggal), coalesce(versions.prev_sampai, versions.tanggal))
            as date_to
    from koreksi_versions as versions
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'koreksi'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'koreksi'
        )
),

-- Every row of a new roster batch, changed or not (like corrections): the day and both neighbours.
roster_versions as (
    select * from {{ ref('stg_raw__roster_versions') }}
),

changed_roster as (
    select
        versions.nip,
        versions.tanggal - 1 as date_from,
        versions.tanggal + 1 as date_to
    from roster_versions as versions
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'roster'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'roster'
        )
),

-- Rostered shifts whose punch window reaches into the date of a new punch from the day before or
-- after (the index on raw.roster (tanggal) finds them; none without rosters).
shift_window_days as (
    select distinct
        shift_days.nip,
        shift_days.work_date
    from punch_dates
    inner join {{ ref('int_employee_shift_days') }} as shift_days
        on shift_days.work_date in (punch_dates.punch_date - 1, punch_dates.punch_date + 1)
    where
        shift_days.work_date >= (select min(bounds.punch_date) from punch_dates as bounds) - 1
        and shift_days.work_date <= (select max(bounds.punch_date) from punch_dates as bounds) + 1
        and not shift_days.is_day_off
        and (
            shift_days.window_close_at > (shift_days.work_date + 1)::timestamp
            or shift_days.window_open_at < shift_days.work_date::timestamp
        )
),

opd_versions as (
    select * from {{ ref('stg_raw__opd_versions') }}
),

changed_opd_employees as (
    select employees.nip
    from opd_versions as versions
    inner join {{ ref('stg_raw__employees') }} as employees on employees.opd_code = versions.opd_code
    where
        exists (
            select 1 from new_batches
            where new_batches.kind = 'opd'
        )
        and versions.batch_id in (
            select new_batches.batch_id from new_batches
            where new_batches.kind = 'opd'
        )
        and versions.prev_jenis_opd is distinct from versions.jenis_opd
),

-- The previous run's ranges, when its run never recorded the watermark: its rows are newer than the
-- state (a finished run records max(run_started_at)); carried on until a run finishes.
unfinished as (
    {%- if previous_touched is not none %}
    select
        previous.nip,
        previous.date_from,
        previous.date_to
    from {{ this }} as previous
    cross join previous_run
    where previous.run_started_at > previous_run.last_run_started_at
    {%- else %}
    select
        null::text as nip,
        null::date as date_from,
        null::date as date_to
    where false
    {%- endif %}
),

touched_ranges as (
    select
        unfinished.nip,
        unfinished.date_from,
        unfinished.date_to,
        'unfinished'::text as touched_by
    from unfinished
    union all
    select
        null::text as nip,
        punch_dates.punch_date as date_from,
        punch_dates.punch_date as date_to,
        'punches' as touched_by
    from punch_dates
    union all
    select
        null::text as nip,
        greatest(
            attendance_window.window_start, attendance_window.window_end - {{ var('lookback_days') }}
        ) as date_from,
        attendance_window.window_end as date_to,
        'lookback' as touched_by
    from attendance_window
    union all
    select
        null::text as nip,
        greatest(
            attendance_window.window_start,
            coalesce(computed_until.last_computed + 1, attendance_window.window_start)
        ) as date_from,
        attendance_window.window_end as date_to,
        'new_days' as touched_by
    from attendance_window
    cross join computed_until
    union all
    select
        null::text as nip,
        pending_dates.work_date as date_from,
        pending_dates.work_date as date_to,
        'pending' as touched_by
    from pending_dates
    union all
    select
        changed_employees.nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'employee' as touched_by
    from changed_employees cross join attendance_window
    union all
    select
        changed_pins.new_nip as nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'pin' as touched_by
    from changed_pins cross join attendance_window
    union all
    select
        changed_pins.old_nip as nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'pin' as touched_by
    from changed_pins cross join attendance_window
    where changed_pins.old_nip is not null
    union all
    select
        null::text as nip,
        retracted_punch_dates.punch_date as date_from,
        retracted_punch_dates.punch_date as date_to,
        'retraction' as touched_by
    from retracted_punch_dates
    union all
    select
        null::text as nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'retraction' as touched_by
    from attendance_window
    where
        exists (
            select 1 from new_retractions
            where new_retractions.kind not in ('pull', 'usb', 'push')
        )
    union all
    select
        changed_leave.nip,
        changed_leave.date_from,
        changed_leave.date_to,
        'leave' as touched_by
    from changed_leave
    union all
    select
        changed_koreksi.nip,
        changed_koreksi.date_from,
        changed_koreksi.date_to,
        'koreksi' as touched_by
    from changed_koreksi
    union all
    select
        changed_roster.nip,
        changed_roster.date_from,
        changed_roster.date_to,
        'roster' as touched_by
    from changed_roster
    union all
    select
        shift_window_days.nip,
        shift_window_days.work_date as date_from,
        shift_window_days.work_date as date_to,
        'shift_window' as touched_by
    from shift_window_days
    union all
    select
        changed_opd_employees.nip,
        attendance_window.window_start as date_from,
        attendance_window.window_end as date_to,
        'opd' as touched_by
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
