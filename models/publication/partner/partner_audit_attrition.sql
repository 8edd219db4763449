-- marts.audit_attrition as the partner tier publishes it (indicators.md s.3, s.4): by
-- financial year (an audit looks at a period of releases, source 003 s.5.5; the overlapping
-- rolling 12 months would multiply its small splits, and the cells hidden to protect them,
-- for little more to read), every count the mart's own or hidden as disclosure_suppression
-- decided (the overall row's transferred
-- and engaged are C20's denominator and numerator, and hidden with them); the engaged
-- percentage is the mart's where engaged and transferred are shown. In the stricter release
-- counts below England are rounded and the percentage comes from the rounded counts.
{% set rounded = disclosure_is_rounded() %}
{% set counts = ['transferred', 'referral_received', 'appointment_offered', 'engaged', 'not_engaged',
                 'referral_recording_gap', 'appointment_recording_gap'] %}
with funnel as (
    select * from {{ ref('audit_attrition') }}
    where period_type = 'financial_year'
),

period_labels as (select * from {{ ref('int_c20_period_labels') }}),

decisions as (
    {{ disclosure_reasons('audit_attrition', counts) }}
),

decided as (
    select
        f.*,
        f.geography_type = 'england' as is_national,
        {% for count in counts %}
        case when l.is_partial_period then 'unpublished' else coalesce(d.{{ count }}_reason, 'shown') end
            as {{ count }}_reason,
        {% endfor %}
        coalesce(l.is_partial_period, false) as is_partial_period
    from funnel as f
    left join period_labels as l
        on f.period_type = l.period_type and f.period_start = l.period_start
    left join decisions as d
        on d.row_key = {{ disclosure_key(['f.period_start', 'f.period_end', 'f.geography_type', 'f.geography_code',
                                          'f.split_type', 'f.split_value']) }}
),

shown as (
    select
        decided.*,
        {% for count in counts %}
        {{ disclosure_count(count, count ~ '_reason', 'is_national') }} as shown_{{ count }},
        {% endfor %}
        transferred_reason = 'shown' and engaged_reason = 'shown' as value_shown
    from decided
),

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
        shown_{{ count }} as {{ count }},
        {% endfor %}
        case
            when not value_shown then null
            {%- if rounded %}
            when not is_national then {{ pct('shown_engaged', 'shown_transferred') }}
            {%- endif %}
            else engaged_pct
        end as engaged_pct,
        shown_referral_recording_gap as referral_recording_gap,
        shown_appointment_recording_gap as appointment_recording_gap,
        {{ disclosure_note('transferred', 'engaged',
            ['referral_received', 'appointment_offered', 'referral_recording_gap', 'appointment_recording_gap'],
            status="case when is_partial_period then " ~ value_note('partial_period')
                   ~ " when transferred = 0 then " ~ value_note('no_releases') ~ " end") }} as value_note
    from shown
)

select * from final
