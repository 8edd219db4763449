-- marts.inequality_breakdowns as published for PRP (indicators.md s.4): n, the mean of the
-- 0/1 outcome, its Wilson interval and standard deviation are the mart's own, or hidden. The
-- number of observations n and the number with the outcome x (mean * n, which the mean
-- reveals) are hidden as disclosure_suppression decided; a row whose n or x is hidden shows
-- no mean, interval or SD. An adjusted (standardised) row goes with its unadjusted twin: the
-- same n, shown or hidden with it. In the stricter release n is rounded below the total, the
-- unadjusted figures come from the rounded counts and adjusted figures below the total are
-- not shown.
{% set rounded = disclosure_is_rounded() %}
with breakdowns as (
    select * from {{ ref('inequality_breakdowns') }}
),

decisions as (
    {{ disclosure_reasons('inequality_breakdowns', ['n', 'x']) }}
),

decided as (
    select
        b.*,
        b.variable = 'total' as is_national,
        cast(round(b.mean * b.n) as {{ dbt.type_bigint() }}) as x,
        coalesce(d.n_reason, 'shown') as n_reason,
        coalesce(d.x_reason, 'shown') as x_reason
    from breakdowns as b
    left join decisions as d on d.row_key = {{ disclosure_key(['b.outcome', 'b.variable', 'b.category']) }}
),

shown as (
    select
        decided.*,
        n_reason = 'shown' and x_reason = 'shown' as value_shown,
        {{ disclosure_count('n', 'n_reason', 'is_national') }} as shown_n,
        {{ disclosure_count('x', 'x_reason', 'is_national') }} as shown_x
    from decided
),

final as (
    select
        outcome,
        adjusted,
        variable,
        category,
        shown_n as n,
        {% for column in ['mean', 'lower_ci95', 'upper_ci95', 'sd'] %}
        case
            when not value_shown then null
            {%- if rounded %}
            when not is_national and adjusted then null
            {%- if column == 'mean' %}
            when not is_national then case when shown_n > 0 then cast(shown_x as {{ type_double() }}) / shown_n end
            {%- elif column == 'lower_ci95' %}
            when not is_national then {{ wilson_lower_pct('shown_x', 'shown_n') }} / 100.0
            {%- elif column == 'upper_ci95' %}
            when not is_national then {{ wilson_upper_pct('shown_x', 'shown_n') }} / 100.0
            {%- else %}
            when not is_national then case when shown_n > 1 then sqrt(
                cast(shown_x as {{ type_double() }}) * (shown_n - shown_x)
                / (cast(shown_n as {{ type_double() }}) * (shown_n - 1))) end
            {%- endif %}
            {%- endif %}
            else {{ column }}
        end as {{ column }},
        {% endfor %}
        {{ disclosure_note('n', 'x',
            status="case when n = 0 then " ~ value_note('no_observations') ~ " end",
            extra=(["case when not is_national and adjusted then " ~ value_note('rounded') ~ " end"] if rounded else [])) }}
            as value_note
    from shown
)

select * from final
