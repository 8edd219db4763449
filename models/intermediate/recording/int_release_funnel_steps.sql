-- The audit attrition steps of each judged release (indicators.md s.3; source 003 s.5.7):
-- referral received (a community episode of the same person with REFLD from
-- var('referral_days_before_release') days before the exit to 21 days after it), appointment
-- offered (an intervention of such an episode with FAOMODDT set), engaged (the C20 rule).
with releases as (select * from {{ ref('continuity_releases') }}),
matches as (select * from {{ ref('int_release_community_matches') }}),
interventions as (select * from {{ ref('stg_ndtms__interventions') }}),

referrals as (
    select * from matches
    where referral_days_after_exit between -{{ var('referral_days_before_release') }} and {{ var('engagement_window_days') }}
),

referred as (
    select distinct release_id from referrals
),

offered as (
    select distinct r.release_id
    from referrals as r
    inner join interventions as i on i.episode_id = r.community_episode_id
    where i.first_appointment_offered_date is not null
),

final as (
    select
        r.release_id,
        r.prison_exit_date,
        r.estab_code,
        r.exit_la_code,
        r.region_code,
        r.inreach,
        r.substance_group,
        r.custody_length_band,
        referred.release_id is not null as referral_received,
        offered.release_id is not null as appointment_offered,
        r.status = 'engaged' as engaged
    from releases as r
    left join referred on r.release_id = referred.release_id
    left join offered on r.release_id = offered.release_id
    where r.status in ('engaged', 'not_engaged')
)

select * from final
