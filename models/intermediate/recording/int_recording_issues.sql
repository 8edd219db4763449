-- One row per detected recording problem (indicators.md s.2), naming the provider that must
-- fix it and its role (seed recording_issue_types): the seven problem models in one relation. A view, read by
-- marts.recording_issues (which writes it) and by int_release_recording_fixes (the problems a
-- fix would engage).
{{ config(materialized='view') }}
{% set problems = [
    'int_recording_attributor_mismatches', 'int_recording_transfers_without_need',
    'int_recording_exit_after_triage', 'int_recording_unclosed_episodes',
    'int_recording_no_structured_intervention', 'int_recording_missing_exit_data',
    'int_recording_orphan_interventions'] %}
with
{% for model in problems %}
{{ model }} as (select * from {{ ref(model) }}),
{% endfor %}
issue_types as (select * from {{ ref('recording_issue_types') }}),

all_issues as (
    {% for model in problems %}
    select issue_type, provider_code, record_id, related_record_id, release_id, event_date, detail, fix_would_engage
    from {{ model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        a.issue_type,
        t.provider_role,
        a.provider_code as provider,
        a.record_id,
        a.related_record_id,
        a.release_id,
        a.event_date,
        {{ financial_year_label('a.event_date') }} as financial_year,
        a.detail,
        a.fix_would_engage
    from all_issues as a
    left join issue_types as t on a.issue_type = t.issue_type
)

select * from final
