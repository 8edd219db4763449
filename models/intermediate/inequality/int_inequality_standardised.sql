-- Adjusted one-way breakdowns: direct age-and-sex standardisation (indicators.md s.4) to the
-- whole cohort of each outcome. Standard population: the outcome's observations by age band x
-- sex; weight w_s = N_s / N. A category's adjusted mean = sum_s w_s p_cs / sum_s w_s over the
-- strata s where the category has anyone (a stratum with no one in the category is left out
-- and the weights of the others rescaled; standard_weight_covered says how much of the
-- standard population that leaves). Variance = sum_s w_s^2 p_cs (1 - p_cs) / n_cs / (sum_s w_s)^2
-- and sd = sqrt(n * variance). The 95% interval is the Wilson score interval of the adjusted
-- mean with Kish's effective sample size n_eff = (sum_s w_s)^2 / sum_s (w_s^2 / n_cs) (each
-- person of stratum s carries weight w_s / n_cs), so it is never degenerate: at a mean of 0
-- or 1, or a variance of 0, it still has width (docs/methodology.md, "Standardised
-- proportions"). With one stratum n_eff = n and it is the plain Wilson interval.
with observations as (select * from {{ ref('int_inequality_observations') }}),

standard as (
    select outcome, age_band, sex, count(*) as stratum_n,
           cast(count(*) as {{ type_double() }}) / sum(count(*)) over (partition by outcome) as weight
    from observations
    group by outcome, age_band, sex
),

cells as (
    {% for variable in var('inequality_variables') %}
    select outcome, '{{ variable }}' as variable, {{ variable }} as category, age_band, sex, outcome_value
    from observations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

strata as (
    select outcome, variable, category, age_band, sex,
           count(*) as n, avg(cast(outcome_value as {{ type_double() }})) as p
    from cells
    group by outcome, variable, category, age_band, sex
),

weighted as (
    select
        s.outcome, s.variable, s.category,
        cast(sum(s.n) as {{ dbt.type_bigint() }}) as n,
        sum(st.weight * s.p) as weighted_sum,
        sum(st.weight) as weight_covered,
        sum(st.weight * st.weight * s.p * (1 - s.p) / s.n) as weighted_variance,
        sum(st.weight * st.weight / s.n) as sum_squared_person_weights
    from strata as s
    inner join standard as st
        on s.outcome = st.outcome and s.age_band = st.age_band and s.sex = st.sex
    group by s.outcome, s.variable, s.category
),

adjusted as (
    select
        outcome,
        variable,
        category,
        n,
        weighted_sum / weight_covered as mean,
        weight_covered * weight_covered / sum_squared_person_weights as effective_n,
        sqrt(n * weighted_variance) / weight_covered as sd,
        weight_covered as standard_weight_covered
    from weighted
),

final as (
    select
        outcome,
        variable,
        category,
        n,
        mean,
        {{ wilson_lower_pct('mean * effective_n', 'effective_n') }} / 100.0 as lower_ci95,
        {{ wilson_upper_pct('mean * effective_n', 'effective_n') }} / 100.0 as upper_ci95,
        sd,
        standard_weight_covered,
        effective_n
    from adjusted
)

select * from final
