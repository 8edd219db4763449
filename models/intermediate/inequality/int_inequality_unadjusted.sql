-- Unadjusted one-way breakdowns (indicators.md s.4): for each outcome, variable and category,
-- the number of observations, the outcome mean (a proportion), its 95% Wilson interval and
-- the sample standard deviation.
with observations as (select * from {{ ref('int_inequality_observations') }}),

cells as (
    {% for variable in var('inequality_variables') %}
    select outcome, '{{ variable }}' as variable, {{ variable }} as category, outcome_value
    from observations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        outcome,
        variable,
        category,
        count(*) as n,
        cast(sum(outcome_value) as {{ dbt.type_bigint() }}) as achieved,
        avg(cast(outcome_value as {{ type_double() }})) as mean,
        {{ wilson_lower_pct('sum(outcome_value)', 'count(*)') }} / 100.0 as lower_ci95,
        {{ wilson_upper_pct('sum(outcome_value)', 'count(*)') }} / 100.0 as upper_ci95,
        stddev_samp(cast(outcome_value as {{ type_double() }})) as sd
    from cells
    group by outcome, variable, category
)

select * from final
