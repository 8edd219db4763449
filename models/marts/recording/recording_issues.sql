-- One row per detected recording problem (indicators.md s.2), naming the provider that must
-- fix it, so a provider can find and correct its records (the problems are gathered in
-- int_recording_issues). Restricted tier: it names episodes and releases.
with issues as (
    select * from {{ ref('int_recording_issues') }}
),

final as (
    select
        issue_type,
        provider_role,
        provider,
        record_id,
        related_record_id,
        release_id,
        event_date,
        financial_year,
        detail,
        fix_would_engage
    from issues
)

select * from final
