-- Recording problem 1 (indicators.md s.2 item 1; source 003 s.6.2): the listed candidate
-- pairs of int_recording_attributor_mismatch_candidates, those in which each is the other's
-- only candidate (the episode has one candidate release and the release one candidate
-- episode). One row per pair. Fix: community provider. The ambiguous candidates are not
-- listed; recording_issues_summary counts them.
-- The detail names the differing attributor only (four distinct texts): the episode and the
-- release are the row's record_id and related_record_id.
with candidates as (
    select * from {{ ref('int_recording_attributor_mismatch_candidates') }}
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

listed as (
    select * from candidates
    where is_listed
),

structured_starts as (
    select * from {{ ref('int_structured_starts') }}
),

-- the listed pairs whose episode has a structured start in the release's window (each episode
-- is in one listed pair)
started_in_window as (
    select distinct p.community_episode_id
    from listed as p
    inner join structured_starts as s
        on s.community_episode_id = p.community_episode_id
       and {{ within_window('s.start_date', 'p.prison_exit_date') }}
),

final as (
    select
        'attributor_mismatch' as issue_type,
        p.agency_code as provider_code,
        p.community_episode_id as record_id,
        p.release_id as related_record_id,
        p.release_id,
        p.prison_exit_date as event_date,
        {{ dbt.concat(["'prison referral in the same area within " ~ var('engagement_window_days')
                       ~ " days of the release; three of four attributors match: '",
                       "p.differing_attributor", "' differs'"]) }} as detail,
        (s.community_episode_id is not null and e.status = 'not_engaged') as fix_would_engage
    from listed as p
    left join started_in_window as s on p.community_episode_id = s.community_episode_id
    left join engagement as e on p.release_id = e.release_id
)

select * from final
