-- Current rosters (issue 14): for each (nip, tanggal), the row of the newest counted batch that
-- carries it. `tanggal` is the day the shift starts; shift_code L is a rostered day off.
with source as (
    select * from {{ source('raw', 'roster') }}
),

ok_batches as (
    select batch_id from {{ source('raw', 'ingest_batch') }}
    where
        status = 'ok'
        and kind = 'roster'
        and batch_id not in (select retractions.batch_id from {{ source('raw', 'batch_retraction') }} as retractions)
),

current_rows as (
    select distinct on (source.nip, source.tanggal) source.*
    from source
    where source.batch_id in (select ok_batches.batch_id from ok_batches)
    order by source.nip asc, source.tanggal asc, source.batch_id desc, source.row_no desc
),

renamed as (
    select
        nip,
        tanggal as work_date,
        shift_code,
        batch_id,
        row_no
    from current_rows
)

select * from renamed
