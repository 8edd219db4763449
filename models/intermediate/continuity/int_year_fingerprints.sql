-- One row per financial year of the releases (PRISEXDT): a digest of everything the
-- year-partitioned release models (macros/year_partitions.sql) read for that year's releases.
-- A year's rows are rebuilt when its fingerprint changes, so each part must cover every row a
-- partitioned model can read for a release of the year:
-- - the releases of the year (int_releases);
-- - the structured starts of the year's released people (every partitioned model matches a
--   start or episode to a release by its attributor key) from the year's first day to its
--   last day + the longest lookahead (the 21-day window, the time-to-treatment horizon): a
--   start belongs to its own year and to the year of (its date - the lookahead);
-- - the community episodes of the year's released people referred or triaged within the
--   window either side of a day of the year (the recording matches and the audit funnel), and
--   their interventions (the funnel's appointment offered), without staging's lineage
--   columns: a record re-sent unchanged in a new extract changes nothing;
-- - the latest NDTMS extract date while it can still close a window or end a follow-up of
--   the year (no later than the year's last day + the lookahead);
-- - for every year, the reference data the profiles read, the rule vars, the models' code
--   and the person key (a digest of the key, never the key).
{{ config(post_hook=["{{ create_year_partition_builds() }}"]) }}
{%- set window = var('engagement_window_days') -%}
{%- set lookahead = [var('engagement_window_days'), var('time_to_treatment_horizon_days')] | max %}

-- The releases and the community episodes are each read twice, so they are named where they are
-- read, not as import CTEs: DuckDB materialises a CTE read more than once (a copy of every row;
-- 4 GB written at scale 10).
with starts as (
    select * from {{ ref('int_structured_starts') }}
),

interventions as (
    select * from {{ ref('stg_ndtms__interventions') }}
),

extract_dates as (
    select * from {{ ref('int_extract_dates') }}
),

years as (
    select
        {{ financial_year_label('r.prison_exit_date') }} as financial_year,
        min({{ financial_year_start('r.prison_exit_date') }}) as year_start_date,
        count(*) as releases_read,
        {{ rows_digest(content_columns(ref('int_releases'), 'r')) }} as releases_digest
    from {{ ref('int_releases') }} as r
    group by {{ financial_year_label('r.prison_exit_date') }}
),

release_keys as (
    select distinct
        {{ financial_year_label('r.prison_exit_date') }} as financial_year,
        {{ financial_year_number('r.prison_exit_date') }} as year_number,
        r.attributor_key
    from {{ ref('int_releases') }} as r
),

start_years as (
    select k.financial_year, s.*
    from starts as s
    inner join release_keys as k on s.attributor_key = k.attributor_key
    where k.year_number in (
        {{ financial_year_number('s.start_date') }},
        {{ financial_year_number(add_to_date('day', -lookahead, 's.start_date')) }}
    )
),

start_digests as (
    select
        s.financial_year,
        count(*) as structured_starts_read,
        {{ rows_digest(content_columns(ref('int_structured_starts'), 's')) }} as starts_digest
    from start_years as s
    group by s.financial_year
),

{%- set episode_years_read = [] %}
{%- for date_column in ['c.referral_date', 'c.triage_date'] %}
{%- for offset in [-window, window] %}
{%- do episode_years_read.append(financial_year_number(add_to_date('day', offset, date_column))) %}
{%- endfor %}
{%- endfor %}

episode_years as (
    select
        c.episode_id,
        k.financial_year
    from {{ ref('stg_ndtms__community_episodes') }} as c
    inner join release_keys as k on c.attributor_key = k.attributor_key
    where k.year_number in ({{ episode_years_read | join(', ') }})
),

community_digests as (
    select
        y.financial_year,
        count(*) as community_episodes_read,
        {{ rows_digest(content_columns(ref('stg_ndtms__community_episodes'), 'c')) }} as community_digest
    from episode_years as y
    inner join {{ ref('stg_ndtms__community_episodes') }} as c on y.episode_id = c.episode_id
    group by y.financial_year
),

intervention_digests as (
    select
        y.financial_year,
        count(*) as interventions_read,
        {{ rows_digest(content_columns(ref('stg_ndtms__interventions'), 'i')) }} as interventions_digest
    from episode_years as y
    inner join interventions as i on y.episode_id = i.episode_id
    group by y.financial_year
),

{#- the reference data the profiles read, the rule vars, the code and the person key #}
{%- set parts = [as_text("'" ~ year_partition_code() ~ "'"), as_text(person_key("'year-partitions'"))] %}
{%- for name in ['local_authorities', 'ethnic_groups', 'stg_reference__imd', 'substances', 'code_labels'] %}
{%- do parts.append("(select " ~ rows_digest(content_columns(ref(name), 'reference')) ~ " from " ~ ref(name) ~ " as reference)") %}
{%- endfor %}

reference_digest as (
    select {{ dbt.hash(dbt.concat(parts)) }} as digest
),

final as (
    select
        y.financial_year,
        y.releases_read,
        coalesce(s.structured_starts_read, 0) as structured_starts_read,
        coalesce(c.community_episodes_read, 0) as community_episodes_read,
        coalesce(i.interventions_read, 0) as interventions_read,
        {{ dbt.hash(dbt.concat([
            'y.releases_digest', "'|'",
            "coalesce(s.starts_digest, '')", "'|'",
            "coalesce(c.community_digest, '')", "'|'",
            "coalesce(i.interventions_digest, '')", "'|'",
            as_text("least(coalesce(d.latest_ndtms_extract_date, cast('1900-01-01' as date)), "
                    ~ add_to_date('day', lookahead - 1, add_to_date('year', 1, 'y.year_start_date')) ~ ")"), "'|'",
            'r.digest'])) }} as fingerprint
    from years as y
    left join start_digests as s on y.financial_year = s.financial_year
    left join community_digests as c on y.financial_year = c.financial_year
    left join intervention_digests as i on y.financial_year = i.financial_year
    cross join extract_dates as d
    cross join reference_digest as r
)

select * from final
