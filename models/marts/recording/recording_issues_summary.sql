-- Recording problems by financial year, provider and type, with the estimated effect on C20:
-- how many releases would move into the numerator if the problem were fixed, where that can
-- be known (a three-of-four match or a late-recorded exit with a structured start in the
-- window). Each year and type also has an England row (provider_role 'england', provider the
-- England code): the national totals, counted once, not summed over providers.
with issues as (
    select * from {{ ref('recording_issues') }}
),

by_provider as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        count(*) as issues,
        count(distinct release_id) as releases_affected,
        count(distinct case when fix_would_engage then release_id end) as releases_would_engage
    from issues
    group by financial_year, provider_role, provider, issue_type
),

england as (
    select
        financial_year,
        'england' as provider_role,
        '{{ var("england_code") }}' as provider,
        issue_type,
        count(*) as issues,
        count(distinct release_id) as releases_affected,
        count(distinct case when fix_would_engage then release_id end) as releases_would_engage
    from issues
    group by financial_year, issue_type
),

final as (
    select * from by_provider
    union all
    select * from england
)

select * from final
