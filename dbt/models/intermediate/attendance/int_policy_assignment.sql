-- depends_on: {{ ref('regency_profiles') }}
-- depends_on: {{ ref('policy_assignment') }}
-- The policy per employee type (issue 20): the rows of seed regency_profiles for the profile the
-- setting ABSENSI_REGENCY_PROFILE names (dbt var regency_profile, resolved by warehouse/settings.py,
-- which refuses an unknown profile), or seed policy_assignment when no profile is set.
{%- set profile = var('regency_profile', '') %}
{%- if profile %}
select
    regency_profiles.jenis_pegawai,
    regency_profiles.policy_id
from {{ ref('regency_profiles') }} as regency_profiles
where regency_profiles.profile = '{{ profile | replace("'", "''") }}'
{%- else %}
select
    policy_assignment.jenis_pegawai,
    policy_assignment.policy_id
from {{ ref('policy_assignment') }} as policy_assignment
{%- endif %}
