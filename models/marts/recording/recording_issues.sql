-- One row per detected recording problem (indicators.md s.2), naming the provider that must
-- fix it, so a provider can find and correct its records.
{% set problems = [
    'int_recording_attributor_mismatches', 'int_recording_transfers_without_need',
    'int_recording_exit_after_triage', 'int_recording_unclosed_episodes',
    'int_recording_no_structured_intervention', 'int_recording_missing_exit_data',
    'int_recording_orphan_interventions'] %}
with
{% for model in problems %}
{{ model }} as (select * from {{ ref(model) }}),
{% endfor %}

all_issues as (
    {% for model in problems %}
    select issue_type, provider_code, record_id, related_record_id, release_id, event_date, detail, fix_would_engage
    from {{ model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        issue_type,
        case issue_type
            when 'attributor_mismatch' then 'community'
            when 'unclosed_community_episode' then 'community'
            when 'no_structured_intervention' then 'community'
            when 'orphan_intervention' then 'none'
            else 'prison'
        end as provider_role,
        provider_code as provider,
        record_id,
        related_record_id,
        release_id,
        event_date,
        {{ financial_year_label('event_date') }} as financial_year,
        detail,
        fix_would_engage
    from all_issues
)

select * from final
