-- marts.recording_issues_summary as published (indicators.md s.4): the counts of records to
-- check per provider are controlled like every other count below national level (1-7 hidden,
-- others rounded to 5, one more hidden where a single hidden one could be recovered from the
-- other providers of the year and type, or the other types of the provider). England's rows
-- (the national totals) are exact.
{% set counts = ['issues', 'releases_affected', 'releases_would_engage'] %}
with summary as (
    select * from {{ ref('recording_issues_summary') }}
),

flagged as (
    select
        summary.*,
        provider_role = 'england' as is_national,
        {% for count in counts %}
        {{ disclosure_is_small(count) }} as {{ count }}_small{{ ',' if not loop.last }}
        {% endfor %}
    from summary
),

hidden as (
    select
        flagged.*,
        {% for count in counts %}
        not is_national and {{ count }}_small
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'financial_year, issue_type', 'provider_role, provider') }}
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'financial_year, provider_role, provider', 'issue_type') }} as {{ count }}_hidden{{ ',' if not loop.last }}
        {% endfor %}
    from flagged
),

final as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        {% for count in counts %}
        {{ disclosure_shown(count, count ~ '_hidden', 'is_national') }} as {{ count }},
        {% endfor %}
        case
            when {% for count in counts %}{{ count }}_hidden{{ ' or ' if not loop.last }}{% endfor %}
            then {{ value_note('suppressed') }}
        end as value_note
    from hidden
)

select * from final
