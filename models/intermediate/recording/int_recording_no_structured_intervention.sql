-- Recording problem 5 (indicators.md s.2; source 003 s.6.2-6.3): a release and a community
-- episode of the same person triaged within 21 days of it (either side) that has
-- interventions, none of whose structured ones started in the window (0..21 days after
-- exit), in exactly two cases: none is structured, or every structured one started more than
-- 21 days after the exit. An episode with no interventions is not flagged; nor is one with a
-- structured start before the exit (problem 3's, the prison's to fix) or a structured
-- intervention with no MODST (neither case). Fix: community provider.
with matches as (select * from {{ ref('int_release_community_matches') }}),
interventions as (select * from {{ ref('stg_ndtms__interventions') }}),
modalities as (select * from {{ ref('modalities') }}),

triaged_near_release as (
    select * from matches
    where triage_days_after_exit between -{{ var('engagement_window_days') }} and {{ var('engagement_window_days') }}
),

per_episode as (
    select
        t.release_id,
        t.community_episode_id,
        t.community_agency_code,
        t.prison_exit_date,
        count(*) as interventions,
        sum(case when m.is_structured then 1 else 0 end) as structured,
        sum(case when m.is_structured
                  and i.start_date > {{ add_to_date('day', var('engagement_window_days'), 't.prison_exit_date') }}
                 then 1 else 0 end) as structured_after_window
    from triaged_near_release as t
    inner join interventions as i on i.episode_id = t.community_episode_id
    inner join modalities as m on i.modality_code = m.modality_code
    group by t.release_id, t.community_episode_id, t.community_agency_code, t.prison_exit_date
),

final as (
    select
        'no_structured_intervention' as issue_type,
        community_agency_code as provider_code,
        community_episode_id as record_id,
        release_id as related_record_id,
        release_id,
        prison_exit_date as event_date,
        case when structured = 0
            then {{ dbt.concat(["'community episode has '", as_text('interventions'),
                                "' intervention(s) after release '", "release_id", "' and none is structured'"]) }}
            else {{ dbt.concat(["'community episode has '", as_text('structured'),
                                "' structured intervention(s), all started more than " ~ var('engagement_window_days') ~ " days after prison exit '",
                                as_text('prison_exit_date')]) }}
        end as detail,
        false as fix_would_engage
    from per_episode
    where structured = 0
       or structured_after_window = structured
)

select * from final
