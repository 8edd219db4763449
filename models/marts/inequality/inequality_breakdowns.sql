-- PRP health-inequality breakdowns (indicators.md s.4; source 000 App. A): for each outcome,
-- unadjusted and adjusted (directly age-sex standardised), each variable and category: n,
-- mean (a proportion 0-1), 95% interval and standard deviation. Exact: what is published is
-- its disclosure-controlled form, models/publication/open_inequality_breakdowns.sql.
with unadjusted as (select * from {{ ref('int_inequality_unadjusted') }}),
adjusted as (select * from {{ ref('int_inequality_standardised') }}),

final as (
    select outcome, false as adjusted, variable, category, n, mean, lower_ci95, upper_ci95, sd
    from unadjusted
    union all
    select outcome, true as adjusted, variable, category, n, mean, lower_ci95, upper_ci95, sd
    from adjusted
)

select * from final
