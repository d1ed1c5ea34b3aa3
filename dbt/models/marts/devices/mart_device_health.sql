-- Per device: last successful read, clock skew, log fill against capacity, days since its last
-- new punch, and its retracted batches (`absensi batch retract`): a retracted batch is no success.
-- Reads the batch log (small, indexed by device) rather than every punch.
-- Push devices (ADMS): a push batch is one upload, not a read of the whole log, so the log size
-- comes from the device's answer to INFO and the clock skew from the last pull/USB read (none);
-- last_seen_at is the receiver's last contact, heartbeats included. covered_until / uncovered_workdays:
-- how far the warehouse holds the device's log and the ended workdays still waiting on it (issue 13).
with devices as (
    select * from {{ ref('stg_raw__devices') }}
),

push_contact as (
    select * from {{ ref('stg_ops__adms_devices') }}
),

batches as (
    select * from {{ ref('stg_raw__ingest_batches') }}
    where is_punch_batch
),

punches as (
    select * from {{ ref('stg_raw__device_punches') }}
),

attendance_window as (
    select * from {{ ref('int_attendance_window') }}
),

known_devices as (
    select device_sn from devices
    union
    select distinct device_sn from batches
    where device_sn is not null
),

last_ok as (
    select distinct on (device_sn)
        device_sn,
        batch_id,
        kind,
        finished_at
    from batches
    where is_counted
    order by device_sn asc, batch_id desc
),

-- the last read of a whole device log (pull or USB file): its size and the clock skew seen then
last_read as (
    select distinct on (device_sn)
        device_sn,
        records_read,
        clock_skew_seconds
    from batches
    where is_counted and kind <> 'push'
    order by device_sn asc, batch_id desc
),

last_any as (
    select distinct on (device_sn)
        device_sn,
        case when is_retracted then 'retracted' else status end as status,
        finished_at,
        error
    from batches
    order by device_sn asc, batch_id desc
),

retracted as (
    select distinct on (device_sn)
        device_sn,
        batch_id as last_retracted_batch_id,
        retracted_at as last_retracted_at,
        retraction_reason as last_retraction_reason,
        count(*) over (partition by device_sn) as retracted_batches
    from batches
    where is_retracted
    order by device_sn asc, retracted_at desc, batch_id desc
),

last_new as (
    select distinct on (device_sn)
        device_sn,
        batch_id
    from batches
    where is_counted and records_new > 0
    order by device_sn asc, batch_id desc
),

-- one index lookup per device (a join would hash every punch of history)
last_punch as (
    select
        last_new.device_sn,
        newest.last_punch_at
    from last_new
    cross join lateral (
        select max(punches.punch_local) as last_punch_at
        from punches
        where punches.batch_id = last_new.batch_id
    ) as newest
),

last_read_clock as (
    select * from {{ ref('int_device_last_read') }}
),

uncovered as (
    select
        coverage.device_sn,
        count(*)::integer as uncovered_workdays
    from {{ ref('mart_device_coverage') }} as coverage
    where coverage.is_workday and not coverage.covered and coverage.day_end <= {{ as_of_local() }}
    group by coverage.device_sn
),

failures as (
    select
        device_sn,
        count(*) filter (where status = 'failed' and finished_at > now() - interval '1 day')::integer as failed_last_24h
    from batches
    group by device_sn
)

select
    -- identifiers
    known_devices.device_sn::text as device_sn,
    -- dimensions
    devices.device_name::text as device_name,
    devices.opd_code::text as opd_code,
    coalesce(devices.is_active, true) as is_active,
    -- facts
    last_ok.finished_at::timestamptz as last_success_at,
    last_ok.kind::text as last_success_kind,
    last_read.clock_skew_seconds::integer as clock_skew_seconds,
    coalesce(last_read.records_read, push_contact.records_on_device)::integer as records_on_device,
    {{ var('device_log_capacity') }}::integer as log_capacity,
    round(
        coalesce(last_read.records_read, push_contact.records_on_device)::numeric / {{ var('device_log_capacity') }}, 4
    )::numeric(8, 4) as log_fill_ratio,
    last_punch.last_punch_at::timestamp as last_punch_at,
    (attendance_window.window_end - last_punch.last_punch_at::date)::integer as silent_days,
    last_any.status::text as last_batch_status,
    last_any.error::text as last_error,
    coalesce(failures.failed_last_24h, 0)::integer as failed_last_24h,
    coalesce(retracted.retracted_batches, 0)::integer as retracted_batches,
    retracted.last_retracted_batch_id::bigint as last_retracted_batch_id,
    retracted.last_retracted_at::timestamptz as last_retracted_at,
    retracted.last_retraction_reason::text as last_retraction_reason,
    devices.protocol::text as protocol,
    push_contact.last_seen_at::timestamptz as last_seen_at,
    last_read_clock.read_local_at::timestamp as covered_until,
    (case when coalesce(devices.is_active, true) then coalesce(uncovered.uncovered_workdays, 0) end)::integer
        as uncovered_workdays
from known_devices
cross join attendance_window
left join devices on devices.device_sn = known_devices.device_sn
left join last_ok on last_ok.device_sn = known_devices.device_sn
left join last_read on last_read.device_sn = known_devices.device_sn
left join push_contact on push_contact.device_sn = known_devices.device_sn
left join last_any on last_any.device_sn = known_devices.device_sn
left join last_punch on last_punch.device_sn = known_devices.device_sn
left join failures on failures.device_sn = known_devices.device_sn
left join retracted on retracted.device_sn = known_devices.device_sn
left join last_read_clock on last_read_clock.device_sn = known_devices.device_sn
left join uncovered on uncovered.device_sn = known_devices.device_sn
