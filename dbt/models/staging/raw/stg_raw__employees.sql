-- Current employees: for each NIP, the row of the newest ok batch that carries it.
with source as (
    select * from {{ ref('stg_raw__employee_versions') }}
),

current_rows as (
    select distinct on (nip) *
    from source
    order by nip asc, batch_id desc, row_no desc
),

renamed as (
    select
        nip,
        nama,
        jenis_pegawai,
        golongan,
        jabatan,
        kelas_jabatan,
        opd_code,
        tunjangan_pokok,
        aktif_mulai,
        aktif_sampai,
        batch_id
    from current_rows
)

select * from renamed
