-- marts.inequality_breakdowns as published for PRP (indicators.md s.4). Below the national
-- row (variable total): the number of observations n and the number with the outcome x are
-- controlled (1-7 hidden, others rounded to 5, one more category hidden where a single hidden
-- one could be recovered from the total); the unadjusted mean, Wilson interval and standard
-- deviation are recomputed from the rounded n and x, so mean and SD of a 0/1 outcome cannot
-- pin the exact counts. An adjusted row is shown with its unadjusted twin's rounded n and is
-- hidden with it; its standard deviation uses that rounded n.
with breakdowns as (
    select * from {{ ref('inequality_breakdowns') }}
),

unadjusted as (
    select
        outcome,
        variable,
        category,
        n,
        cast(round(mean * n) as {{ dbt.type_bigint() }}) as achieved,
        mean,
        lower_ci95,
        upper_ci95,
        sd,
        variable = 'total' as is_national
    from breakdowns
    where not adjusted
),

flagged as (
    select
        unadjusted.*,
        not is_national and {{ disclosure_is_small('n') }} as n_small,
        not is_national and {{ disclosure_is_small('achieved') }} as achieved_small
    from unadjusted
),

hidden as (
    select
        flagged.*,
        n_small or {{ disclosure_secondary('n', 'n_small', 'is_national', 'outcome, variable', 'category') }}
            as n_hidden,
        achieved_small or {{ disclosure_secondary('achieved', 'achieved_small', 'is_national',
            'outcome, variable', 'category') }} as achieved_hidden
    from flagged
),

controlled as (
    select
        outcome,
        variable,
        category,
        is_national,
        n as exact_n,
        mean as exact_mean,
        lower_ci95 as exact_lower_ci95,
        upper_ci95 as exact_upper_ci95,
        sd as exact_sd,
        not is_national and (n_hidden or achieved_hidden) as value_hidden,
        {{ disclosure_shown('n', 'n_hidden', 'is_national') }} as n_shown,
        {{ disclosure_shown('achieved', 'n_hidden or achieved_hidden', 'is_national') }} as achieved_shown
    from hidden
),

unadjusted_shown as (
    select
        outcome,
        false as adjusted,
        variable,
        category,
        n_shown as n,
        case
            when is_national then exact_mean
            when not value_hidden and n_shown > 0 then cast(achieved_shown as {{ type_double() }}) / n_shown
        end as mean,
        case
            when is_national then exact_lower_ci95
            when not value_hidden then {{ wilson_lower_pct('achieved_shown', 'n_shown') }} / 100.0
        end as lower_ci95,
        case
            when is_national then exact_upper_ci95
            when not value_hidden then {{ wilson_upper_pct('achieved_shown', 'n_shown') }} / 100.0
        end as upper_ci95,
        case
            when is_national then exact_sd
            when not value_hidden and n_shown > 1 then sqrt(
                cast(achieved_shown as {{ type_double() }}) * (n_shown - achieved_shown)
                / (cast(n_shown as {{ type_double() }}) * (n_shown - 1))
            )
        end as sd,
        case
            when value_hidden then {{ value_note('suppressed') }}
            when exact_n = 0 then {{ value_note('no_observations') }}
        end as value_note
    from controlled
),

adjusted_shown as (
    select
        b.outcome,
        true as adjusted,
        b.variable,
        b.category,
        c.n_shown as n,
        case when c.is_national or not c.value_hidden then b.mean end as mean,
        case when c.is_national or not c.value_hidden then b.lower_ci95 end as lower_ci95,
        case when c.is_national or not c.value_hidden then b.upper_ci95 end as upper_ci95,
        case
            when c.is_national then b.sd
            when not c.value_hidden and b.n > 0 then b.sd * sqrt(cast(c.n_shown as {{ type_double() }}) / b.n)
        end as sd,
        case
            when c.value_hidden then {{ value_note('suppressed') }}
            when b.n = 0 then {{ value_note('no_observations') }}
        end as value_note
    from breakdowns as b
    inner join controlled as c
        on b.outcome = c.outcome and b.variable = c.variable and b.category = c.category
    where b.adjusted
),

final as (
    select * from unadjusted_shown
    union all
    select * from adjusted_shown
)

select * from final
