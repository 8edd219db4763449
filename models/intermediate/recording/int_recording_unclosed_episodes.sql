-- Recording problem 4 (indicators.md s.2; source 003 s.6.2): a community episode triaged and
-- never discharged whose client was later received into prison (a secure episode with
-- RECEPDT after the triage): the episode should have been closed, and a new one opened
-- after release. One row per community episode, naming the first such reception. Fix:
-- community provider.
with community_episodes as (select * from {{ ref('stg_ndtms__community_episodes') }}),
secure_episodes as (select * from {{ ref('stg_ndtms__secure_episodes') }}),

later_receptions as (
    select
        c.episode_id as community_episode_id,
        c.agency_code,
        c.triage_date,
        s.episode_id as secure_episode_id,
        s.reception_date,
        row_number() over (partition by c.episode_id order by s.reception_date, s.episode_id) as reception_rank
    from community_episodes as c
    inner join secure_episodes as s
        on s.attributor_key = c.attributor_key
       and s.reception_date > c.triage_date
    where c.triage_date is not null
      and c.discharge_date is null
),

final as (
    select
        'unclosed_community_episode' as issue_type,
        agency_code as provider_code,
        community_episode_id as record_id,
        secure_episode_id as related_record_id,
        cast(null as {{ dbt.type_string() }}) as release_id,
        reception_date as event_date,
        {{ dbt.concat(["'community episode triaged '", as_text('triage_date'),
                       "' has no discharge date; the client was received into prison '",
                       as_text('reception_date'), "' (secure episode '", "secure_episode_id", "')'"]) }} as detail,
        false as fix_would_engage
    from later_receptions
    where reception_rank = 1
)

select * from final
