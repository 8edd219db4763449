-- Recording problems by financial year, provider and type, with the estimated effect on C20:
-- how many releases would move into the numerator if the problem were fixed, where that can
-- be known (a three-of-four match or a late-recorded exit with a structured start in the
-- window). Each year and type also has an England row (provider_role 'england', provider the
-- England code): the national totals, counted once, not summed over providers.
-- Counted in two steps - first per release, then per provider or for England - so problems
-- are grouped, not counted distinct. Each per-release step reads recording_issues itself (a
-- relation read twice is held whole in memory) and groups it in buckets of releases, one after
-- another, so no grouping outgrows the memory limit. That was needed when problem 1 listed
-- hundreds of millions of chance pairs at scale 30; since problem 1 lists only each other's
-- only candidates (indicators.md s.2) the table is far smaller and the buckets are a safeguard.
-- Problems tied to no release (release_id null) count as issues, never as releases.
-- ambiguous_candidates: problem 1's candidate pairs that are not listed because the episode or
-- the release has another candidate (int_recording_attributor_mismatch_candidates), counted
-- per community provider and financial year of the exit; a provider with only ambiguous
-- candidates in a year gets a row with no issues. 0 for the other types.
{% set totals -%}
    cast(sum(issues) as {{ dbt.type_bigint() }}) as issues,
        count(release_id) as releases_affected,
        cast(sum(case when release_id is not null then would_engage else 0 end) as {{ dbt.type_bigint() }})
            as releases_would_engage
{%- endset %}

{% set per_release = [
    ('per_provider_release', 'financial_year, provider_role, provider, issue_type, release_id'),
    ('per_england_release', 'financial_year, issue_type, release_id')] %}
{% set buckets = var('recording_summary_buckets') %}

with
{% for name, keys in per_release %}
{{ name }} as (
    {% for bucket in range(buckets) %}
    select
        {{ keys }},
        count(*) as issues,
        max(case when fix_would_engage then 1 else 0 end) as would_engage
    from {{ ref('recording_issues') }}
    where {{ hash_bucket('release_id', buckets) }} = {{ bucket }}
    group by {{ keys }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
{% endfor %}

ambiguous as (
    select
        {{ financial_year_label('prison_exit_date') }} as financial_year,
        agency_code as provider,
        count(*) as ambiguous_candidates
    from {{ ref('int_recording_attributor_mismatch_candidates') }}
    where not is_listed
    group by {{ financial_year_label('prison_exit_date') }}, agency_code
),

by_provider_issues as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        {{ totals }},
        0 as ambiguous_candidates
    from per_provider_release
    group by financial_year, provider_role, provider, issue_type
    union all
    select
        financial_year,
        'community' as provider_role,
        provider,
        'attributor_mismatch' as issue_type,
        0 as issues,
        0 as releases_affected,
        0 as releases_would_engage,
        ambiguous_candidates
    from ambiguous
),

england_issues as (
    select
        financial_year,
        issue_type,
        {{ totals }},
        0 as ambiguous_candidates
    from per_england_release
    group by financial_year, issue_type
    union all
    select
        financial_year,
        'attributor_mismatch' as issue_type,
        0 as issues,
        0 as releases_affected,
        0 as releases_would_engage,
        ambiguous_candidates
    from ambiguous
),

{% set sums -%}
    cast(sum(issues) as {{ dbt.type_bigint() }}) as issues,
        cast(sum(releases_affected) as {{ dbt.type_bigint() }}) as releases_affected,
        cast(sum(releases_would_engage) as {{ dbt.type_bigint() }}) as releases_would_engage,
        cast(sum(ambiguous_candidates) as {{ dbt.type_bigint() }}) as ambiguous_candidates
{%- endset %}

by_provider as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        {{ sums }}
    from by_provider_issues
    group by financial_year, provider_role, provider, issue_type
),

england as (
    select
        financial_year,
        'england' as provider_role,
        '{{ var("england_code") }}' as provider,
        issue_type,
        {{ sums }}
    from england_issues
    group by financial_year, issue_type
),

final as (
    select * from by_provider
    union all
    select * from england
)

select * from final
