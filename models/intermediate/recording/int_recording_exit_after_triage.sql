-- Recording problem 3 (indicators.md s.2; source 003 s.6.3): a release and a community
-- episode of the same person triaged 1 to 21 days before the recorded prison exit - the exit
-- date was probably recorded late. Fix: prison provider. Fixing it would engage the release
-- when the episode has a structured start within the window counted from its triage date.
with matches as (select * from {{ ref('int_release_community_matches') }}),
engagement as (select * from {{ ref('int_release_engagement') }}),
structured_starts as (select * from {{ ref('int_structured_starts') }}),
releases as (select * from {{ ref('int_releases') }}),

flagged as (
    select * from matches
    where triage_days_after_exit between -{{ var('engagement_window_days') }} and -1
),

start_from_triage as (
    select distinct f.release_id, f.community_episode_id
    from flagged as f
    inner join structured_starts as s on s.community_episode_id = f.community_episode_id
    where {{ within_window('s.start_date', 'f.triage_date') }}
),

final as (
    select
        'exit_date_after_triage' as issue_type,
        r.agency_code as provider_code,
        f.release_id as record_id,
        f.community_episode_id as related_record_id,
        f.release_id,
        f.prison_exit_date as event_date,
        {{ dbt.concat(["'community triage '", as_text('f.triage_date'), "' is '",
                       as_text('-f.triage_days_after_exit'),
                       "case when f.triage_days_after_exit = -1 then ' day' else ' days' end",
                       "' before recorded prison exit '", as_text('f.prison_exit_date')]) }} as detail,
        (s.release_id is not null and e.status = 'not_engaged') as fix_would_engage
    from flagged as f
    inner join releases as r on f.release_id = r.release_id
    left join start_from_triage as s
        on f.release_id = s.release_id and f.community_episode_id = s.community_episode_id
    left join engagement as e on f.release_id = e.release_id
)

select * from final
