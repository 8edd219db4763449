-- Adjusted one-way breakdowns: direct age-and-sex standardisation (indicators.md s.4) to the
-- whole cohort of each outcome. Standard population: the outcome's observations by age band x
-- sex; weight w_s = N_s / N. A category's adjusted mean = sum_s w_s p_cs / sum_s w_s over the
-- strata s where the category has anyone (a stratum with no one in the category is left out
-- and the weights of the others rescaled; standard_weight_covered says how much of the
-- standard population that leaves). Variance = sum_s w_s^2 p_cs (1 - p_cs) / n_cs / (sum_s w_s)^2;
-- the 95% interval is mean -/+ z * sqrt(variance), clamped to 0-1, and sd = sqrt(n * variance).
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
        sum(st.weight * st.weight * s.p * (1 - s.p) / s.n) as weighted_variance
    from strata as s
    inner join standard as st
        on s.outcome = st.outcome and s.age_band = st.age_band and s.sex = st.sex
    group by s.outcome, s.variable, s.category
),

final as (
    select
        outcome,
        variable,
        category,
        n,
        weighted_sum / weight_covered as mean,
        greatest(0.0, weighted_sum / weight_covered
                      - {{ var('wilson_z') }} * sqrt(weighted_variance) / weight_covered) as lower_ci95,
        least(1.0, weighted_sum / weight_covered
                   + {{ var('wilson_z') }} * sqrt(weighted_variance) / weight_covered) as upper_ci95,
        sqrt(n * weighted_variance) / weight_covered as sd,
        weight_covered as standard_weight_covered
    from weighted
)

select * from final
