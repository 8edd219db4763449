-- marts.er_outcomes_summary as published (indicators.md s.4). The pilot sites are below
-- national level, so every count is controlled: 1-7 hidden, others rounded to 5, and one more
-- priority group hidden where a single hidden one could be recovered from the site's 'all'
-- row. The rate and Wilson interval are recomputed from the rounded n and achieved, or hidden
-- with them (a rate of 85.7% (60.1% to 96.0%) beside a hidden count is exactly 12 of 14).
{% set counts = ['n', 'achieved', 'pending', 'not_known', 'not_applicable'] %}
{% set volumes = ['site_referrals', 'site_accepted', 'site_released'] %}
with summary as (
    select * from {{ ref('er_outcomes_summary') }}
),

flagged as (
    select
        summary.*,
        priority_group = 'all' as is_site_total,
        {% for count in counts + volumes %}
        {{ disclosure_is_small(count) }} as {{ count }}_small{{ ',' if not loop.last }}
        {% endfor %}
    from summary
),

hidden as (
    select
        flagged.*,
        {% for count in counts %}
        {{ count }}_small
        or {{ disclosure_secondary(count, count ~ '_small', 'is_site_total', 'site, outcome', 'priority_group') }}
            as {{ count }}_hidden{{ ',' if not loop.last }}
        {% endfor %}
    from flagged
),

shown as (
    select
        site,
        delivery_model,
        priority_group,
        outcome,
        {% for count in counts %}
        {{ disclosure_shown(count, count ~ '_hidden' ~ (' or n_hidden' if count == 'achieved' else ''), 'false') }}
            as {{ count }},
        {% endfor %}
        {% for count in volumes %}
        {{ disclosure_shown(count, count ~ '_small', 'false') }} as {{ count }},
        {% endfor %}
        n_hidden or achieved_hidden as value_hidden,
        {% for count in counts + volumes %}{{ count }}_{{ 'small' if count in volumes else 'hidden' }}{{ ' or ' if not loop.last }}{% endfor %}
            as count_hidden,
        n as exact_n,
        pending as exact_pending
    from hidden
),

{% set value_reason -%}
    case
        when value_hidden then {{ value_note('suppressed') }}
        when exact_n = 0 and exact_pending > 0 then {{ value_note('all_pending') }}
        when exact_n = 0 then {{ value_note('no_observations') }}
        when exact_pending > 0 then {{ value_note('provisional') }}
    end
{%- endset %}

final as (
    select
        site,
        delivery_model,
        priority_group,
        outcome,
        n,
        achieved,
        pending,
        not_known,
        not_applicable,
        case when not value_hidden then {{ pct('achieved', 'n') }} end as value_pct,
        case when not value_hidden then {{ wilson_lower_pct('achieved', 'n') }} end as lower_ci95_pct,
        case when not value_hidden then {{ wilson_upper_pct('achieved', 'n') }} end as upper_ci95_pct,
        site_referrals,
        site_accepted,
        site_released,
        {{ join_notes(value_reason, 'count_hidden') }} as value_note
    from shown
)

select * from final
