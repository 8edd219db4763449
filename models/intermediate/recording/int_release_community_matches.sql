-- Every pair of a release and a community episode of the same person (all four attributors
-- equal after normalisation) referred or triaged within 21 days of the exit either side: the
-- candidates the recording checks (s.2 problems 3 and 5) and the audit funnel (s.3) look at.
-- An equi-join on the attributor key with date conditions, never a cross join.
{{ year_partitioned() }}

with releases as (
    select * from {{ ref('int_releases') }} as r
    where {{ in_touched_years('r.prison_exit_date') }}
),

community_episodes as (
    select * from {{ ref('stg_ndtms__community_episodes') }}
),

final as (
    select
        r.release_id,
        r.prison_exit_date,
        c.episode_id as community_episode_id,
        c.agency_code as community_agency_code,
        c.referral_date,
        c.referral_source_code,
        c.triage_date,
        {{ dbt.datediff('r.prison_exit_date', 'c.referral_date', 'day') }} as referral_days_after_exit,
        {{ dbt.datediff('r.prison_exit_date', 'c.triage_date', 'day') }} as triage_days_after_exit
    from releases as r
    inner join community_episodes as c
        on c.attributor_key = r.attributor_key
    where {{ within_window('c.triage_date', 'r.prison_exit_date', before=true) }}
       or {{ within_window('c.referral_date', 'r.prison_exit_date', before=true) }}
)

select * from final
