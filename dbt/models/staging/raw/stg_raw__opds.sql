-- Current OPD list: for each opd_code, the row of the newest ok batch that carries it.
with source as (
    select * from {{ ref('stg_raw__opd_versions') }}
),

current_rows as (
    select distinct on (opd_code) *
    from source
    order by opd_code asc, batch_id desc, row_no desc
),

renamed as (
    select
        btrim(opd_code) as opd_code,
        nama_opd,
        upper(btrim(jenis_opd)) as jenis_opd,
        batch_id
    from current_rows
)

select * from renamed
