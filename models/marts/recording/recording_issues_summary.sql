-- Recording problems by financial year, provider and type, with the estimated effect on C20:
-- how many releases would move into the numerator if the problem were fixed, where that can
-- be known (a three-of-four match or a late-recorded exit with a structured start in the
-- window). Each year and type also has an England row (provider_role 'england', provider the
-- England code): the national totals, counted once, not summed over providers.
-- Counted in two steps - first per release, then per provider or for England - so the tens
-- of millions of attributor-mismatch pairs are grouped, not counted distinct. Each per-release
-- step reads recording_issues itself (a relation read twice is held whole in memory) and
-- groups it in buckets of releases, one after another, so at scale 30 (hundreds of millions
-- of pairs) no grouping outgrows the memory limit.
-- Problems tied to no release (release_id null) count as issues, never as releases.
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

by_provider as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        {{ totals }}
    from per_provider_release
    group by financial_year, provider_role, provider, issue_type
),

england as (
    select
        financial_year,
        'england' as provider_role,
        '{{ var("england_code") }}' as provider,
        issue_type,
        {{ totals }}
    from per_england_release
    group by financial_year, issue_type
),

final as (
    select * from by_provider
    union all
    select * from england
)

select * from final
