-- marts.recording_issues_summary as the partner tier publishes it (indicators.md s.2, s.4):
-- the counts of records each provider must check, exact or hidden as disclosure_suppression
-- decided; England's rows (the national totals) are the open tier's (open_recording_issues_summary).
-- The record-level list naming each episode is in the restricted tier only.
{% set counts = ['issues', 'releases_affected', 'releases_would_engage', 'ambiguous_candidates'] %}
with summary as (
    select * from {{ ref('recording_issues_summary') }}
),

decisions as (
    {{ disclosure_reasons('recording_issues_summary', counts) }}
),

decided as (
    select
        s.*,
        s.provider_role = 'england' as is_national,
        {% for count in counts %}coalesce(d.{{ count }}_reason, 'shown') as {{ count }}_reason{{ ',' if not loop.last }}{% endfor %}
    from summary as s
    left join decisions as d
        on d.row_key = {{ disclosure_key(['s.financial_year', 's.provider_role', 's.provider', 's.issue_type']) }}
),

final as (
    select
        financial_year,
        provider_role,
        provider,
        issue_type,
        {% for count in counts %}
        {{ disclosure_count(count, count ~ '_reason', 'is_national') }} as {{ count }},
        {% endfor %}
        {{ disclosure_note('releases_affected', 'releases_would_engage', ['issues', 'ambiguous_candidates']) }} as value_note
    from decided
)

select * from final
