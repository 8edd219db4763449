-- marts.er_outcomes_summary as the partner tier publishes it (indicators.md s.4, s.5): every
-- count the mart's own or hidden as disclosure_suppression decided; the rate and Wilson
-- interval the mart's where n and achieved are shown. In the stricter release every count is
-- rounded (the pilot sites are all below national level) and the rate comes from the rounded
-- counts.
{% set rounded = disclosure_is_rounded() %}
{% set counts = ['n', 'achieved', 'pending', 'not_known', 'not_applicable'] %}
{% set volumes = ['site_referrals', 'site_accepted', 'site_released'] %}
with summary as (
    select * from {{ ref('er_outcomes_summary') }}
),

decisions as (
    {{ disclosure_reasons('er_outcomes_summary', counts) }}
),

volume_decisions as (
    {{ disclosure_reasons('er_outcomes_summary', volumes) }}
),

decided as (
    select
        s.*,
        {% for count in counts %}coalesce(d.{{ count }}_reason, 'shown') as {{ count }}_reason,{% endfor %}
        {% for count in volumes %}coalesce(v.{{ count }}_reason, 'shown') as {{ count }}_reason{{ ',' if not loop.last }}{% endfor %}
    from summary as s
    left join decisions as d on d.row_key = {{ disclosure_key(['s.site', 's.priority_group', 's.outcome']) }}
    left join volume_decisions as v on v.row_key = {{ disclosure_key(['s.site']) }}
),

{% set status -%}
    case
        when n = 0 and pending > 0 then {{ value_note('all_pending') }}
        when n = 0 then {{ value_note('no_observations') }}
        when pending > 0 then {{ value_note('provisional') }}
    end
{%- endset %}

{% set volume_notes = [] %}
{% for v in volumes %}
    {% do volume_notes.append("case when " ~ v ~ "_reason = 'small' then '" ~ v ~ " ' || " ~ value_note('count_suppressed')
        ~ " when " ~ v ~ "_reason = 'protect' then '" ~ v ~ " ' || " ~ value_note('count_suppressed_to_protect') ~ " end") %}
{% endfor %}

shown as (
    select
        decided.*,
        {% for count in counts + volumes %}
        {{ disclosure_count(count, count ~ '_reason') }} as shown_{{ count }},
        {% endfor %}
        n_reason = 'shown' and achieved_reason = 'shown' as value_shown,
        {{ disclosure_note('n', 'achieved', ['pending', 'not_known', 'not_applicable'], status=status,
            extra=volume_notes) }} as value_note
    from decided
),

final as (
    select
        site,
        delivery_model,
        priority_group,
        outcome,
        {% for count in counts %}shown_{{ count }} as {{ count }},{% endfor %}
        {% for column, expression in [
            ('value_pct', pct('shown_achieved', 'shown_n')),
            ('lower_ci95_pct', wilson_lower_pct('shown_achieved', 'shown_n')),
            ('upper_ci95_pct', wilson_upper_pct('shown_achieved', 'shown_n'))] %}
        case when value_shown then {{ expression if rounded else column }} end as {{ column }},
        {% endfor %}
        {% for count in volumes %}shown_{{ count }} as {{ count }},{% endfor %}
        value_note
    from shown
)

select * from final
