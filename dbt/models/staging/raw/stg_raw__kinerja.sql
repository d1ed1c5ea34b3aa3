-- Current e-kinerja scores (issue 20): for each (nip, bulan), the row of the newest counted batch
-- that carries it. Raw is never edited: a later file changes a score.
with source as (
    select * from {{ ref('stg_raw__kinerja_versions') }}
),

current_rows as (
    select distinct on (nip, bulan) *
    from source
    order by nip asc, bulan asc, batch_id desc, row_no desc
),

renamed as (
    select
        nip,
        bulan as month,
        nilai as performance_score,
        batch_id
    from current_rows
)

select * from renamed
