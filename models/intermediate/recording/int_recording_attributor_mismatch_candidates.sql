-- The candidates of recording problem 1 (indicators.md s.2 item 1; source 003 s.6.2): a
-- community episode referred by a prison (RFLS) and a release that
-- - are in the same area: the episode's UTLA is the release's EXITDEST;
-- - are within 21 days: |REFLD - PRISEXDT| <= 21;
-- - match on exactly three of the four attributors;
-- where the release has no structured start in its window (section 1's match; a pending
-- release counts) and the episode matches no release on all four attributors.
-- One row per candidate pair, with how many candidates its episode and its release have, and
-- is_listed: each is the other's only candidate. int_recording_attributor_mismatches lists
-- those pairs; recording_issues_summary counts the others as ambiguous.
-- Found by four equi-joins on the area and three attributors (the fourth different), each also
-- matching on the 21-day block of the dates (day_block: a referral within 21 days of an exit
-- lies in the exit's block or a neighbouring one), never a national cross join.
with releases as (
    select * from {{ ref('int_releases') }}
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

community_episodes as (
    select * from {{ ref('stg_ndtms__community_episodes') }}
    where referral_source_code = '{{ var("prison_referral_source") }}'
),

release_keys as (
    select distinct attributor_key from releases
),

-- the episode matches no release on all four attributors (any release, judged or pending)
unmatched_episodes as (
    select
        c.*,
        {{ day_block('c.referral_date', var('engagement_window_days')) }} as date_block
    from community_episodes as c
    left join release_keys as k on c.attributor_key = k.attributor_key
    where k.attributor_key is null
),

neighbouring_blocks as (
    select -1 as block_offset
    union all
    select 0 as block_offset
    union all
    select 1 as block_offset
),

-- the release has no structured start in its window (structured_starts_in_window counts the
-- starts whether or not the window has closed, so a pending release is judged the same way)
releases_without_start as (
    select r.*
    from releases as r
    inner join engagement as e on r.release_id = e.release_id
    where e.structured_starts_in_window = 0
),

release_blocks as (
    select
        r.*,
        {{ day_block('r.prison_exit_date', var('engagement_window_days')) }} + n.block_offset as date_block
    from releases_without_start as r
    cross join neighbouring_blocks as n
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
        r.exit_la_code,
        '{{ label }}' as differing_attributor
    from unmatched_episodes as c
    inner join release_blocks as r
        on c.utla_code = r.exit_la_code
       and c.date_block = r.date_block
       and {% for same, _ in attributors if same != differing -%}
           c.{{ same }} = r.{{ same }}{% if not loop.last %} and {% endif %}
           {%- endfor %}
       and c.{{ differing }} <> r.{{ differing }}
    where {{ within_window('c.referral_date', 'r.prison_exit_date', before=true) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

counted as (
    select
        pairs.*,
        count(*) over (partition by community_episode_id) as episode_candidates,
        count(*) over (partition by release_id) as release_candidates
    from pairs
),

final as (
    select
        community_episode_id,
        agency_code,
        referral_date,
        release_id,
        prison_exit_date,
        exit_la_code,
        differing_attributor,
        episode_candidates,
        release_candidates,
        -- listed only when each is the other's only candidate; the rest are ambiguous
        (episode_candidates = 1 and release_candidates = 1) as is_listed
    from counted
)

select * from final
