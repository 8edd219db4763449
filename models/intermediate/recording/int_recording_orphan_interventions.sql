-- Recording problem 7 (indicators.md s.2): an intervention whose EPISODID is the key of no
-- valid community episode. It can never be matched, so it never counts; no provider can be
-- named (the intervention extract carries none).
with interventions as (select * from {{ ref('stg_ndtms__interventions') }}),
community_episodes as (select * from {{ ref('stg_ndtms__community_episodes') }}),

final as (
    select
        'orphan_intervention' as issue_type,
        cast(null as {{ dbt.type_string() }}) as provider_code,
        i.intervention_id as record_id,
        i.episode_id as related_record_id,
        cast(null as {{ dbt.type_string() }}) as release_id,
        coalesce(i.start_date, i.referred_date, i.extract_date) as event_date,
        {{ dbt.concat(["'intervention refers to community episode '", "i.episode_id", "', which is not in the community extract'"]) }} as detail,
        false as fix_would_engage
    from interventions as i
    left join community_episodes as c on i.episode_id = c.episode_id
    where c.episode_id is null
)

select * from final
