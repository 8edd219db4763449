-- marts.continuity_flows as published (indicators.md s.4): every count below England is
-- controlled (1-7 hidden, others rounded to 5); one more cell is hidden where a single hidden
-- cell could be recovered from its prison's or its area's total; the pick-up rate is
-- recomputed from the rounded counts or hidden with them.
with flows as (
    select * from {{ ref('continuity_flows') }}
),

flagged as (
    select
        flows.*,
        false as is_national,
        {{ disclosure_is_small('releases') }} as releases_small,
        {{ disclosure_is_small('engaged') }} as engaged_small,
        {{ disclosure_is_small('pending') }} as pending_small
    from flows
),

hidden as (
    select
        flagged.*,
        {% for count in ['releases', 'engaged', 'pending'] %}
        {{ count }}_small
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'period_type, period_start, estab_code', 'exit_la_code') }}
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national',
            'period_type, period_start, exit_la_code', 'estab_code') }} as {{ count }}_hidden{{ ',' if not loop.last }}
        {% endfor %}
    from flagged
),

shown as (
    select
        period_type,
        period_start,
        period_end,
        estab_code,
        exit_la_code,
        {{ disclosure_shown('releases', 'releases_hidden', 'is_national') }} as releases,
        {{ disclosure_shown('engaged', 'engaged_hidden or releases_hidden', 'is_national') }} as engaged,
        {{ disclosure_shown('pending', 'pending_hidden', 'is_national') }} as pending,
        releases_hidden or engaged_hidden as value_hidden,
        releases_hidden or engaged_hidden or pending_hidden as count_hidden,
        releases as exact_releases,
        pending as exact_pending
    from hidden
),

{% set value_reason -%}
    case
        when value_hidden then {{ value_note('suppressed') }}
        when exact_releases = 0 and exact_pending > 0 then {{ value_note('all_pending') }}
        when exact_releases = 0 then {{ value_note('no_releases') }}
        when exact_pending > 0 then {{ value_note('provisional') }}
    end
{%- endset %}

final as (
    select
        period_type,
        period_start,
        period_end,
        estab_code,
        exit_la_code,
        releases,
        engaged,
        pending,
        case when not value_hidden then {{ pct('engaged', 'releases') }} end as value_pct,
        {{ join_notes(value_reason, 'count_hidden') }} as value_note
    from shown
)

select * from final
