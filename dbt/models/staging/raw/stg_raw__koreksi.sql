-- Current corrections (issue 15): for each (tanggal, jenis, nip, device_sn), the row of the newest
-- counted batch that carries it, whatever its status (only DISETUJUI changes a day; the others are
-- kept for marts.mart_correction_log). Raw is never edited: a later file changes a correction.
with source as (
    select * from {{ ref('stg_raw__koreksi_versions') }}
),

current_rows as (
    select distinct on (tanggal, jenis, nip, device_sn) *
    from source
    order by tanggal asc, jenis asc, nip asc, device_sn asc, batch_id desc, row_no desc
),

renamed as (
    select
        nip,
        tanggal as correction_date,
        coalesce(sampai, tanggal) as correction_end,
        jenis as correction_type,
        jam as correction_time,
        device_sn,
        alasan,
        nomor_surat,
        diajukan_oleh,
        diajukan_pada,
        disetujui_oleh,
        disetujui_pada,
        status as correction_status,
        (status = 'DISETUJUI') as is_approved,
        -- what the daily reason says about it, e.g.
        -- LUPA_PULANG 16:05 (surat 800/112/DINKES/2026, disetujui Kepala Dinas 03-11-2026)
        format(
            '%s (surat %s, disetujui %s %s)',
            concat_ws(
                ' ',
                jenis,
                to_char(jam, 'HH24:MI'),
                case when device_sn is not null then 'mesin ' || device_sn end
            ),
            coalesce(nullif(nomor_surat, ''), 'tanpa nomor'),
            coalesce(disetujui_oleh, '-'),
            coalesce(to_char(disetujui_pada, 'DD-MM-YYYY'), '-')
        ) as correction_text,
        batch_id,
        row_no
    from current_rows
)

select * from renamed
