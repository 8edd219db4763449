-- Every started structured community intervention, keyed by the client's attributors: the
-- events that can count as engagement (indicators.md s.1). Structured comes from the
-- modalities seed; an intervention with no MODST (offered, never started) is not a start,
-- and one whose episode is not a valid community record (an orphan) can never count.
with interventions as (
    select * from {{ ref('stg_ndtms__interventions') }}
),

community_episodes as (
    select * from {{ ref('stg_ndtms__community_episodes') }}
),

modalities as (
    select * from {{ ref('modalities') }}
),

final as (
    select
        i.intervention_id,
        i.episode_id as community_episode_id,
        c.agency_code,
        c.attributor_key,
        i.modality_code,
        i.start_date
    from interventions as i
    inner join community_episodes as c on i.episode_id = c.episode_id
    inner join modalities as m on i.modality_code = m.modality_code
    where m.is_structured
      and i.start_date is not null
)

select * from final
