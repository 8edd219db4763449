-- Recording problems by financial year, provider and type, with the estimated effect on C20:
-- how many releases would move into the numerator if the problem were fixed, where that can
-- be known (a three-of-four match or a late-recorded exit with a structured start in the
-- window).
with issues as (
    select * from {{ ref('recording_issues') }}
),

final as (
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
)

select * from final
