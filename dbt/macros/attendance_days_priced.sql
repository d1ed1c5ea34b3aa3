{#- The daily rules (int_attendance_days_priced; DESIGN §6, docs/CONTRACTS.md "Daily rule details").
    corrected=false: the same rules without the approved corrections (issue 15), for the corrected
    days only (int_attendance_days_uncorrected: what marts.mart_correction_log shows as "before"). -#}
{% macro attendance_days_priced(corrected=true) %}
with scope as (
    {%- if corrected %}
    select * from {{ ref('int_attendance_scope') }}
    {%- else %}
    select scoped.*
    from {{ ref('int_attendance_scope') }} as scoped
    where exists (
        select 1 from {{ ref('int_attendance_koreksi_days') }} as corrected_days
        where corrected_days.nip = scoped.nip and corrected_days.work_date = scoped.work_date
    )
    {%- endif %}
),

punch_days as (
    select * from {{ ref('int_attendance_punch_days') }}
),

leave_days as (
    select * from {{ ref('int_attendance_leave_days') }}
),

policies as (
    select * from {{ ref('policies') }}
),

policy_tiers as (
    select * from {{ ref('policy_tiers') }}
),

policy_leave as (
    select * from {{ ref('policy_leave') }}
),

{%- if corrected %}
day_pending as (
    select * from {{ ref('int_attendance_day_pending') }}
),

koreksi_days as (
    select * from {{ ref('int_attendance_koreksi_days') }}
),
{%- else %}
-- without the corrections: a device declared broken and not read past the day's end is waited for again
broken_unread as (
    select
        corrected_days.nip,
        corrected_days.work_date,
        string_agg(broken.device_sn, ',' order by broken.device_sn) as device_list
    from {{ ref('int_attendance_koreksi_days') }} as corrected_days
    inner join scope on scope.nip = corrected_days.nip and scope.work_date = corrected_days.work_date
    cross join lateral unnest(string_to_array(corrected_days.broken_devices, ',')) as broken (device_sn)
    left join {{ ref('int_device_last_read') }} as last_reads on last_reads.device_sn = broken.device_sn
    where last_reads.read_local_at is null or last_reads.read_local_at < scope.day_end
    group by corrected_days.nip, corrected_days.work_date
),

day_pending as (
    select
        coalesce(pending.nip, broken_unread.nip) as nip,
        coalesce(pending.work_date, broken_unread.work_date) as work_date,
        concat_ws(',', pending.pending_devices, broken_unread.device_list) as pending_devices,
        concat_ws(', ', pending.pending_text, broken_unread.device_list) as pending_text
    from {{ ref('int_attendance_day_pending') }} as pending
    full outer join broken_unread
        on broken_unread.nip = pending.nip and broken_unread.work_date = pending.work_date
),

koreksi_days as (
    select * from {{ ref('int_attendance_koreksi_days') }}
    where false
),
{%- endif %}

policy_koreksi as (
    select * from {{ ref('policy_koreksi') }}
),

day_inputs as (
    select
        scope.*,
        -- the schedule as local timestamps: a shift whose end is at or before its start ends the next day
        scope.work_date + scope.schedule_in as schedule_start_at,
        scope.work_date + scope.schedule_out
        + case when scope.schedule_out <= scope.schedule_in then interval '1 day' else interval '0' end
            as schedule_end_at,
        -- the device's punches plus a forgotten check-in/out an approved correction adds
        least(punch_days.first_punch, koreksi_days.added_in, koreksi_days.added_out) as first_punch,
        greatest(punch_days.last_punch, koreksi_days.added_in, koreksi_days.added_out) as last_punch,
        coalesce(punch_days.punch_count, 0)
        + (koreksi_days.added_in is not null)::integer
        + (koreksi_days.added_out is not null)::integer as punch_count,
        coalesce(koreksi_days.excuse_tl, false) as excuse_tl,
        coalesce(koreksi_days.excuse_psw, false) as excuse_psw,
        koreksi_days.remote_type,
        coalesce(remote_rule.status, 'HADIR') as remote_status,
        coalesce(remote_rule.pct, 0) as remote_pct,
        coalesce(remote_rule.tl_psw_apply, false) as remote_tl_psw_apply,
        koreksi_days.broken_devices,
        coalesce(manual_rule.status, 'HADIR') as manual_status,
        coalesce(manual_rule.pct, 0) as manual_pct,
        koreksi_days.correction_text,
        leave_days.leave_type,
        leave_days.leave_start,
        leave_days.leave_end,
        leave_days.nomor_surat,
        leave_days.leave_day_no,
        policies.tk_pct,
        policies.checkout_min_gap_minutes,
        day_pending.pending_devices,
        day_pending.pending_text
    from scope
    left join punch_days
        on punch_days.nip = scope.nip and punch_days.work_date = scope.work_date
    left join leave_days
        on leave_days.nip = scope.nip and leave_days.work_date = scope.work_date
    left join day_pending
        on day_pending.nip = scope.nip and day_pending.work_date = scope.work_date
    left join koreksi_days
        on koreksi_days.nip = scope.nip and koreksi_days.work_date = scope.work_date
    left join policy_koreksi as remote_rule
        on
            remote_rule.policy_id = scope.policy_id
            and remote_rule.correction_type = koreksi_days.remote_type
    left join policy_koreksi as manual_rule
        on
            manual_rule.policy_id = scope.policy_id
            and manual_rule.correction_type = 'MESIN_RUSAK'
    left join policies
        on
            policies.policy_id = scope.policy_id
            and policies.valid_from <= scope.work_date
            and coalesce(policies.valid_to, 'infinity'::date) >= scope.work_date
),

-- First punch = check-in; last = check-out when at least the policy's gap later. A lone punch is a
-- check-in before the schedule's midpoint and a check-out at or after it (measured on the shift: a
-- night shift 21:00–07:00 has its midpoint at 02:00 the next day).
day_midpoints as (
    select
        day_inputs.*,
        day_inputs.schedule_start_at + (day_inputs.schedule_end_at - day_inputs.schedule_start_at) / 2
            as schedule_midpoint_at
    from day_inputs
),

-- Computed once per day (issue 21): each derived value below comes from a one-row LATERAL subquery with
-- a LIMIT (one row: it changes nothing), which PostgreSQL does not flatten. Written as plain CTE columns, the planner copied these CASE
-- expressions into every later use (each tier join's filter, once per candidate tier row; every output
-- column): at 30,000 employees a month's days took 12.6 s, and 7 s computed once (EXPLAIN ANALYZE,
-- docs/scaling.md). A filter on the scope's columns (is_locked_month) still reaches the scope.
check_times as (
    select
        day_inputs.*,
        check_time.first_in,
        check_time.last_out
    from day_midpoints as day_inputs
    cross join lateral (select
        case
            when day_inputs.punch_count = 0 then null
            when
                day_inputs.last_punch - day_inputs.first_punch
                >= make_interval(mins => day_inputs.checkout_min_gap_minutes) then day_inputs.first_punch
            when day_inputs.first_punch < day_inputs.schedule_midpoint_at then day_inputs.first_punch
        end as first_in,
        case
            when day_inputs.punch_count = 0 then null
            when
                day_inputs.last_punch - day_inputs.first_punch
                >= make_interval(mins => day_inputs.checkout_min_gap_minutes) then day_inputs.last_punch
            when day_inputs.first_punch >= day_inputs.schedule_midpoint_at then day_inputs.first_punch
        end as last_out
    limit 1) as check_time  -- noqa: AM09
),

-- Whole minutes, seconds truncated: 07:30:59 is 0 minutes late, 07:31:00 is 1.
check_minutes as (
    select
        check_times.*,
        check_minute.late_raw,
        check_minute.early_raw
    from check_times
    cross join lateral (select
        case
            when check_times.first_in is not null then floor(greatest(0, extract(epoch from (
                check_times.first_in - check_times.schedule_start_at
            ))) / 60)::integer
        end as late_raw,
        case
            when check_times.last_out is not null then floor(greatest(0, extract(epoch from (
                check_times.schedule_end_at - check_times.last_out
            ))) / 60)::integer
        end as early_raw
    limit 1) as check_minute  -- noqa: AM09
),

tiered as (
    select
        check_minutes.*,
        case
            when check_minutes.first_in is null then 4
            when check_minutes.late_raw = 0 then 0
            else tl_band.tier
        end as tl_tier_raw,
        case
            when check_minutes.last_out is null then 4
            when check_minutes.early_raw = 0 then 0
            else psw_band.tier
        end as psw_tier_raw
    from check_minutes
    left join policy_tiers as tl_band
        on
            tl_band.policy_id = check_minutes.policy_id
            and tl_band.side = 'TL'
            and check_minutes.late_raw between tl_band.min_minutes and coalesce(tl_band.max_minutes, 2147483647)
    left join policy_tiers as psw_band
        on
            psw_band.policy_id = check_minutes.policy_id
            and psw_band.side = 'PSW'
            and check_minutes.early_raw between psw_band.min_minutes and coalesce(psw_band.max_minutes, 2147483647)
),

priced as (
    select
        tiered.*,
        -- a leave letter is known whatever the devices say; otherwise nothing is final before the day
        -- has ended and every device it depends on is read past its end (issue 13)
        day_status.status_kind,
        case when tiered.excuse_tl then 0 else coalesce(tl_price.pct, 0) end as tl_pct,
        case when tiered.excuse_psw then 0 else coalesce(psw_price.pct, 0) end as psw_pct,
        case when tiered.remote_type is not null then tiered.remote_pct else 0 end as remote_extra_pct,
        leave_rule.pct as leave_pct,
        leave_rule.from_day as leave_from_day
    from tiered
    -- once per day, as above: the output columns read it a dozen times
    cross join lateral (select
        case
            when tiered.leave_type is not null then 'LEAVE'
            -- an approved remote day is known from its letter, like a leave
            when tiered.remote_type is not null and not tiered.remote_tl_psw_apply then 'REMOTE'
            when {{ as_of_local() }} < tiered.day_end then 'MENUNGGU'
            when tiered.pending_devices is not null then 'MENUNGGU'
            when tiered.punch_count > 0 or tiered.remote_type is not null then 'HADIR'
            -- no punch, but the device it depends on was broken (approved MESIN_RUSAK): manual attendance
            when tiered.broken_devices is not null then 'MANUAL'
            else 'TK'
        end as status_kind
    limit 1) as day_status  -- noqa: AM09
    left join policy_tiers as tl_price
        on
            tl_price.policy_id = tiered.policy_id
            and tl_price.side = 'TL'
            and tl_price.tier = tiered.tl_tier_raw
    left join policy_tiers as psw_price
        on
            psw_price.policy_id = tiered.policy_id
            and psw_price.side = 'PSW'
            and psw_price.tier = tiered.psw_tier_raw
    -- the leave rule by duration (issue 20): the row with the highest from_day the day has reached in
    -- its run of back-to-back letters of the same type (int_attendance_leave_days.leave_day_no)
    left join lateral (
        select
            policy_leave.pct,
            coalesce(policy_leave.from_day, 1) as from_day
        from policy_leave
        where
            -- a day without a letter looks nothing up (a per-row test, not a scan of the seed)
            tiered.leave_type is not null
            and policy_leave.policy_id = tiered.policy_id
            and policy_leave.leave_type = tiered.leave_type
            and coalesce(policy_leave.from_day, 1) <= coalesce(tiered.leave_day_no, 1)
        order by coalesce(policy_leave.from_day, 1) desc
        limit 1
    ) as leave_rule on true
),

daily_rows as (
    select
        -- identifiers
        priced.nip::text as nip,
        priced.work_date::date as work_date,
        -- dimensions
        priced.opd_code::text as opd_code,
        priced.policy_id::text as policy_id,
        priced.schedule_in::time as schedule_in,
        priced.schedule_out::time as schedule_out,
        -- the rostered shift (issue 14; REG = the regular day)
        coalesce(priced.shift_code, 'REG')::text as shift_code,
        -- facts
        priced.first_in::timestamp as first_in,
        priced.last_out::timestamp as last_out,
        (case when priced.status_kind = 'HADIR' then priced.late_raw end)::integer as late_minutes,
        (case when priced.status_kind = 'HADIR' then priced.early_raw end)::integer as early_minutes,
        (case
            when priced.status_kind = 'HADIR' and not priced.excuse_tl then priced.tl_tier_raw else 0
        end)::integer as tl_tier,
        (case
            when priced.status_kind = 'HADIR' and not priced.excuse_psw then priced.psw_tier_raw else 0
        end)::integer as psw_tier,
        (case priced.status_kind
            when 'LEAVE' then priced.leave_type
            when 'REMOTE' then priced.remote_status
            when 'MANUAL' then priced.manual_status
            else priced.status_kind
        end)::text as status,
        (case priced.status_kind
            when 'LEAVE' then priced.leave_pct
            when 'HADIR' then priced.tl_pct + priced.psw_pct + priced.remote_extra_pct
            when 'REMOTE' then priced.remote_pct
            when 'MANUAL' then priced.manual_pct
            when 'MENUNGGU' then 0
            else priced.tk_pct
        end)::numeric(6, 2) as deduction_pct,
        -- explanation (Bahasa Indonesia, read by officials), then the approved corrections applied
        concat_ws('; ', case priced.status_kind
            when 'LEAVE'
                then
                    format(
                        '%s: surat %s (%s s.d. %s); potongan %s%%',
                        priced.leave_type,
                        coalesce(nullif(priced.nomor_surat, ''), 'tanpa nomor'),
                        to_char(priced.leave_start, 'DD-MM-YYYY'),
                        to_char(priced.leave_end, 'DD-MM-YYYY'),
                        {{ pct_text('priced.leave_pct') }}
                    )
                    -- a rule by duration says which day of the run it is
                    || case
                        when priced.leave_from_day > 1
                            then format(' (hari ke-%s berturut-turut, aturan mulai hari ke-%s)', priced.leave_day_no, priced.leave_from_day)
                        else ''
                    end
            when 'HADIR'
                then
                    concat_ws(
                        '; ',
                        case
                            when priced.first_in is null and priced.excuse_tl
                                then 'tidak ada absen masuk, diizinkan tanpa potongan'
                            when priced.first_in is null
                                then
                                    format(
                                        'TL4: tidak ada absen masuk (satu absen %s, setelah tengah hari kerja %s)',
                                        to_char(priced.first_punch, 'HH24:MI'),
                                        to_char(priced.schedule_midpoint, 'HH24:MI')
                                    )
                            when priced.tl_tier_raw = 0
                                then format('masuk %s, tepat waktu', to_char(priced.first_in, 'HH24:MI'))
                            when priced.excuse_tl
                                then format(
                                    'masuk %s, %s menit terlambat, diizinkan tanpa potongan',
                                    to_char(priced.first_in, 'HH24:MI'), priced.late_raw
                                )
                            else format(
                                'TL%s: masuk %s, %s menit terlambat',
                                priced.tl_tier_raw, to_char(priced.first_in, 'HH24:MI'), priced.late_raw
                            )
                        end,
                        case
                            when priced.last_out is null and priced.excuse_psw
                                then 'tidak ada absen pulang, diizinkan tanpa potongan'
                            when priced.last_out is null
                                then
                                    format(
                                        'PSW4: tidak ada absen pulang (satu absen %s, sebelum tengah hari kerja %s)',
                                        to_char(priced.first_punch, 'HH24:MI'),
                                        to_char(priced.schedule_midpoint, 'HH24:MI')
                                    )
                            when priced.psw_tier_raw = 0
                                then format('pulang %s, tepat waktu', to_char(priced.last_out, 'HH24:MI'))
                            when priced.excuse_psw
                                then format(
                                    'pulang %s, %s menit lebih awal, diizinkan tanpa potongan',
                                    to_char(priced.last_out, 'HH24:MI'), priced.early_raw
                                )
                            else format(
                                'PSW%s: pulang %s, %s menit lebih awal',
                                priced.psw_tier_raw, to_char(priced.last_out, 'HH24:MI'), priced.early_raw
                            )
                        end,
                        case
                            when priced.remote_type is not null
                                then format('%s (TL/PSW tetap berlaku)', priced.remote_type)
                        end,
                        format(
                            'potongan %s%%', {{ pct_text('priced.tl_pct + priced.psw_pct + priced.remote_extra_pct') }}
                        )
                    )
            when 'REMOTE'
                then
                    format(
                        '%s: bekerja dari %s; potongan %s%%',
                        priced.remote_type,
                        case priced.remote_type when 'WFH' then 'rumah' else 'mana saja' end,
                        {{ pct_text('priced.remote_pct') }}
                    )
            when 'MANUAL'
                then
                    format(
                        'absen manual: mesin %s rusak/luring, tidak ada absen; potongan %s%%',
                        priced.broken_devices,
                        {{ pct_text('priced.manual_pct') }}
                    )
            when 'MENUNGGU'
                then
                    concat_ws(
                        '; ',
                        case
                            when {{ as_of_local() }} < priced.day_end
                                then
                                    format(
                                        'hari belum selesai (dinilai setelah %s)', to_char(priced.day_end, 'HH24:MI')
                                    )
                            else 'menunggu data mesin ' || priced.pending_text
                        end,
                        case
                            when priced.first_in is not null
                                then format('masuk %s', to_char(priced.first_in, 'HH24:MI'))
                        end,
                        case
                            when priced.last_out is not null
                                then format('pulang %s', to_char(priced.last_out, 'HH24:MI'))
                        end,
                        'belum ada potongan'
                    )
            else format(
                'TK: tidak ada absen dan tidak ada surat keterangan; potongan %s%%', {{ pct_text('priced.tk_pct') }}
            )
        end, 'koreksi ' || priced.correction_text)::text as reason,
        -- the devices the day still waits for (comma-separated serials), null unless MENUNGGU on devices
        (case
            when priced.status_kind = 'MENUNGGU' and {{ as_of_local() }} >= priced.day_end then priced.pending_devices
        end)::text as pending_devices,
        -- metadata
        priced.is_locked_month::boolean as is_locked_month
    from priced
)

select * from daily_rows
{% endmacro %}
