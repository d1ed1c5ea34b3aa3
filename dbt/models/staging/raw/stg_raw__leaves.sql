-- Current leave letters: for each (nip, mulai), the row of the newest ok batch that carries it;
-- a letter whose newest row withdraws it (status 'dicabut') is no longer current.
with source as (
    select * from {{ ref('stg_raw__leave_versions') }}
),

current_rows as (
    select distinct on (nip, mulai) *
    from source
    order by nip asc, mulai asc, batch_id desc, row_no desc
),

renamed as (
    select
        nip,
        jenis as leave_type,
        mulai as leave_start,
        sampai as leave_end,
        nomor_surat,
        batch_id
    from current_rows
    where status <> 'dicabut'
)

select * from renamed
