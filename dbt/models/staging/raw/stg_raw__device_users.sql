with source as (
    select * from {{ source('raw', 'device_user') }}
),

renamed as (
    select
        batch_id,
        device_sn,
        uid,
        btrim(device_pin) as device_pin,
        name as user_name,
        privilege,
        card,
        received_at
    from source
)

select * from renamed
