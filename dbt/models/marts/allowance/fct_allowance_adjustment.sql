-- Corrections of locked (paid) months. A locked month's deduction never changes; when data about
-- it changes later (a late leave letter, a device backlog, a PIN fix), the difference between the
-- deduction recomputed from today's data and what was paid (the frozen deduction plus adjustments
-- already paid) lands here, in the first open month after the corrected one. Positive
-- adjustment_amount = the employee was under-deducted (finance deducts more), negative = refund.
-- When that month is locked, its adjustments are frozen into ops.locked_adjustment with it.
-- Employees loaded or ended after a lock (CONTRACTS "Money after a lock"; the base is whole-month):
-- a locked month he is owed but was not paid counts as paid 100 % deducted (locked deduction =
-- base), so he gets −(base − his deduction); a locked month he is no longer employed in
-- (aktif_sampai moved back) is owed 100 % deducted, so what was paid is clawed back.
with month_locks as (
    select * from {{ source('ops', 'month_lock') }}
),

frozen_months as (
    select * from {{ source('ops', 'locked_deduction_monthly') }}
),

paid_adjustments as (
    select * from {{ source('ops', 'locked_adjustment') }}
),

-- the locked months as they would be today, capped and rounded like an open month
recomputed as (
    select * from {{ ref('int_allowance_months_priced') }}
    where is_locked_month
),

already_paid as (
    select
        nip,
        corrected_month,
        sum(adjustment_amount) as paid_amount
    from paid_adjustments
    group by nip, corrected_month
),

first_open_month as (
    select
        corrected.month as corrected_month,
        min(candidate::date) as month
    from (select distinct month from recomputed) as corrected
    cross join
        lateral generate_series(
            corrected.month + interval '1 month', corrected.month + interval '10 years', interval '1 month'
        ) as candidate
    where candidate::date not in (select month_locks.month from month_locks)
    group by corrected.month
),

open_adjustments as (
    select
        recomputed.nip,
        first_open_month.month,
        recomputed.month as corrected_month,
        coalesce(frozen_months.opd_code, recomputed.opd_code) as opd_code,
        coalesce(frozen_months.policy_id, recomputed.policy_id) as policy_id,
        coalesce(frozen_months.base_amount, recomputed.base_amount) as base_amount,
        -- a month not paid at all (no frozen row): as if the whole base had been deducted
        coalesce(frozen_months.total_pct, 100.00) as locked_total_pct,
        recomputed.total_pct as corrected_total_pct,
        coalesce(frozen_months.deduction_amount, recomputed.base_amount) as locked_deduction_amount,
        recomputed.deduction_amount as corrected_deduction_amount,
        coalesce(already_paid.paid_amount, 0) as paid_amount,
        case
            when frozen_months.nip is null then 'unpaid'
            when not recomputed.is_employed then 'not_employed'
            else 'corrected'
        end as kind
    from recomputed
    left join frozen_months on frozen_months.nip = recomputed.nip and frozen_months.month = recomputed.month
    inner join first_open_month on first_open_month.corrected_month = recomputed.month
    left join already_paid
        on already_paid.nip = recomputed.nip and already_paid.corrected_month = recomputed.month
),

open_rows as (
    select
        -- identifiers
        nip::text as nip,
        month::date as month,
        corrected_month::date as corrected_month,
        -- dimensions
        opd_code::text as opd_code,
        policy_id::text as policy_id,
        -- facts
        base_amount::bigint as base_amount,
        locked_total_pct::numeric(8, 2) as locked_total_pct,
        corrected_total_pct::numeric(8, 2) as corrected_total_pct,
        locked_deduction_amount::bigint as locked_deduction_amount,
        corrected_deduction_amount::bigint as corrected_deduction_amount,
        (corrected_deduction_amount - locked_deduction_amount - paid_amount)::bigint as adjustment_amount,
        (
            case
                when kind = 'unpaid'
                    then format(
                        'Belum dibayar %s (pegawai dimuat/diaktifkan sesudah bulan dikunci): '
                        || 'tunjangan Rp %s dikurangi potongan %s%% Rp %s',
                        to_char(corrected_month, 'MM-YYYY'),
                        base_amount,
                        {{ pct_text('corrected_total_pct') }},
                        corrected_deduction_amount
                    )
                when kind = 'not_employed'
                    then format(
                        'Tidak aktif lagi pada %s (aktif_sampai diubah sesudah bulan dikunci): '
                        || 'yang dibayar Rp %s ditarik kembali',
                        to_char(corrected_month, 'MM-YYYY'),
                        base_amount - locked_deduction_amount
                    )
                else format(
                    'Koreksi %s: potongan %s%% menjadi %s%% (Rp %s menjadi Rp %s)',
                    to_char(corrected_month, 'MM-YYYY'),
                    {{ pct_text('locked_total_pct') }},
                    {{ pct_text('corrected_total_pct') }},
                    locked_deduction_amount,
                    corrected_deduction_amount
                )
            end
            || case when paid_amount <> 0 then format(', sudah dikoreksi Rp %s', paid_amount) else '' end
        )::text as reason,
        -- metadata
        false as is_locked
    from open_adjustments
    where corrected_deduction_amount - locked_deduction_amount - paid_amount <> 0
),

paid_rows as (
    select
        nip::text as nip,
        month::date as month,
        corrected_month::date as corrected_month,
        opd_code::text as opd_code,
        policy_id::text as policy_id,
        base_amount::bigint as base_amount,
        locked_total_pct::numeric(8, 2) as locked_total_pct,
        corrected_total_pct::numeric(8, 2) as corrected_total_pct,
        locked_deduction_amount::bigint as locked_deduction_amount,
        corrected_deduction_amount::bigint as corrected_deduction_amount,
        adjustment_amount::bigint as adjustment_amount,
        reason::text as reason,
        true as is_locked
    from paid_adjustments
)

select * from open_rows
union all
select * from paid_rows
