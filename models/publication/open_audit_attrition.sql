-- marts.audit_attrition as published (indicators.md s.4): below England every funnel count is
-- controlled (1-7 hidden, others rounded to 5), with one more cell hidden where a single
-- hidden cell could be recovered from the other areas of its period or the other values of
-- its split; the engaged percentage is recomputed from the rounded counts or hidden.
{% set counts = ['transferred', 'referral_received', 'appointment_offered', 'engaged', 'not_engaged',
                 'referral_recording_gap', 'appointment_recording_gap'] %}
with funnel as (
    select * from {{ ref('audit_attrition') }}
),

flagged as (
    select
        funnel.*,
        geography_type = 'england' as is_national,
        {% for count in counts %}
        geography_type <> 'england' and {{ disclosure_is_small(count) }} as {{ count }}_small{{ ',' if not loop.last }}
        {% endfor %}
    from funnel
),

hidden as (
    select
        flagged.*,
        {% for count in counts %}
        {{ count }}_small
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'period_type, period_start, geography_type, split_type, split_value', 'geography_code') }}
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'period_type, period_start, geography_type, geography_code, split_type', 'split_value') }}
            as {{ count }}_hidden{{ ',' if not loop.last }}
        {% endfor %}
    from flagged
),

shown as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        split_type,
        split_value,
        is_national,
        {% for count in counts %}
        {{ disclosure_shown(count, count ~ '_hidden', 'is_national') }} as {{ count }},
        {% endfor %}
        engaged_hidden or transferred_hidden as value_hidden,
        {% for count in counts %}{{ count }}_hidden{{ ' or ' if not loop.last }}{% endfor %} as count_hidden,
        engaged_pct as exact_engaged_pct,
        transferred as exact_transferred
    from hidden
),

{% set value_reason -%}
    case
        when not is_national and value_hidden then {{ value_note('suppressed') }}
        when exact_transferred = 0 then {{ value_note('no_releases') }}
    end
{%- endset %}

final as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        split_type,
        split_value,
        {% for count in counts if not count.endswith('_gap') %}
        {{ count }},
        {% endfor %}
        case
            when is_national then exact_engaged_pct
            when not value_hidden then {{ pct('engaged', 'transferred') }}
        end as engaged_pct,
        referral_recording_gap,
        appointment_recording_gap,
        {{ join_notes(value_reason, 'not is_national and count_hidden') }} as value_note
    from shown
)

select * from final
