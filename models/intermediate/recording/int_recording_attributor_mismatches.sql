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

-- Each episode's distinct structured start dates, each with the one before it: a pair then
-- meets exactly one row, the episode's first start on or after the exit, so whether that start
-- is within the window is read without grouping the pairs (and the pairs are read once,
-- streamed to the writer rather than held: a relation read twice is materialised).
structured_start_dates as (
    select distinct community_episode_id, start_date
    from {{ ref('int_structured_starts') }}
),

structured_starts as (
    select
        community_episode_id,
        start_date,
        lag(start_date) over (partition by community_episode_id order by start_date) as previous_start_date
    from structured_start_dates
),

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
        (
            s.start_date is not null
            and s.start_date <= {{ add_to_date('day', var('engagement_window_days'), 'p.prison_exit_date') }}
            and e.status = 'not_engaged'
        ) as fix_would_engage
    from pairs as p
    left join structured_starts as s
        on p.community_episode_id = s.community_episode_id
       and s.start_date >= p.prison_exit_date
       and (s.previous_start_date is null or s.previous_start_date < p.prison_exit_date)
    left join engagement as e on p.release_id = e.release_id
)

select * from final
