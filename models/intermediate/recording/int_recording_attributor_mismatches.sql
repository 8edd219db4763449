-- Recording problem 1 (indicators.md s.2; source 003 s.6.2): a community episode referred by
-- a prison (RFLS) with REFLD within 21 days of a release, matching that release on exactly
-- three of the four attributors. One row per (community episode, release). Fix: community
-- provider. Four equi-joins, each on three attributors with the fourth different.
-- A view: chance matches make this the largest relation (36.7M pairs at scale 10, growing with
-- the square of the releases), and its one reader, recording_issues, writes it once.
-- Each join also matches on the 21-day block of the dates (day_block): a referral within 21
-- days of an exit lies in the exit's block or a neighbouring one, so each release is offered
-- only the episodes of three blocks instead of every episode sharing its three attributors
-- (on first initial, surname initial and sex alone that is over a billion candidates at scale 10).
-- The detail names the differing attributor only (four distinct texts): the episode and the
-- release are the row's record_id and related_record_id, and repeating them with the
-- referral date in tens of millions of texts made writing the pairs cost more than finding them.
{{ config(materialized='view') }}
with releases as (
    select * from {{ ref('int_releases') }}
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

community_episodes as (
    select
        *,
        {{ day_block('referral_date', var('engagement_window_days')) }} as date_block
    from {{ ref('stg_ndtms__community_episodes') }}
    where referral_source_code = '{{ var("prison_referral_source") }}'
),

neighbouring_blocks as (
    select -1 as block_offset
    union all
    select 0 as block_offset
    union all
    select 1 as block_offset
),

release_blocks as (
    select
        r.*,
        {{ day_block('r.prison_exit_date', var('engagement_window_days')) }} + n.block_offset as date_block
    from releases as r
    cross join neighbouring_blocks as n
),

structured_starts as (select * from {{ ref('int_structured_starts') }}),

{% set attributors = [
    ('first_initial', 'first initial'), ('surname_initial', 'surname initial'),
    ('date_of_birth', 'date of birth'), ('sex_code', 'sex')] %}

pairs as (
    {% for differing, label in attributors %}
    select
        c.episode_id as community_episode_id,
        c.agency_code,
        c.referral_date,
        r.release_id,
        r.prison_exit_date,
        '{{ label }}' as differing_attributor
    from community_episodes as c
    inner join release_blocks as r
        on c.date_block = r.date_block
       and {% for same, _ in attributors if same != differing -%}
           c.{{ same }} = r.{{ same }}{% if not loop.last %} and {% endif %}
           {%- endfor %}
       and c.{{ differing }} <> r.{{ differing }}
    where c.referral_date >= {{ add_to_date('day', -var('engagement_window_days'), 'r.prison_exit_date') }}
      and c.referral_date <= {{ add_to_date('day', var('engagement_window_days'), 'r.prison_exit_date') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

structured_in_window as (
    select distinct p.community_episode_id, p.release_id
    from pairs as p
    inner join structured_starts as s on s.community_episode_id = p.community_episode_id
    where s.start_date >= p.prison_exit_date
      and s.start_date <= {{ add_to_date('day', var('engagement_window_days'), 'p.prison_exit_date') }}
),

final as (
    select
        'attributor_mismatch' as issue_type,
        p.agency_code as provider_code,
        p.community_episode_id as record_id,
        p.release_id as related_record_id,
        p.release_id,
        p.prison_exit_date as event_date,
        {{ dbt.concat(["'prison referral within " ~ var('engagement_window_days')
                       ~ " days of the release; three of four attributors match: '",
                       "p.differing_attributor", "' differs'"]) }} as detail,
        (s.release_id is not null and e.status = 'not_engaged') as fix_would_engage
    from pairs as p
    left join structured_in_window as s
        on p.community_episode_id = s.community_episode_id and p.release_id = s.release_id
    left join engagement as e on p.release_id = e.release_id
)

select * from final
