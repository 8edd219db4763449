-- Funnel plot of C20 (docs/methodology.md "Funnel plot limits"): for every region,
-- local authority and prison row with releases judged, England's value for the period as the
-- target and the 95% and 99.8% control limits for that row's denominator, computed the way
-- PHEindicatormethods' funnel functions do for proportions (the Wilson score limits,
-- target -/+ z sqrt(target (1 - target) / n), clamped to 0-100), and the row's position
-- against each pair (above, below, inside; on a limit is inside), so a report names the
-- outliers. One point per row is enough to draw the limits as curves over the denominators.
with counts as (select * from {{ ref('int_c20_counts') }}),
period_labels as (select * from {{ ref('int_c20_period_labels') }}),

england as (
    select period_type, period_start, value_pct as england_value_pct
    from counts
    where geography_type = 'england'
),

areas as (
    select c.*, e.england_value_pct
    from counts as c
    inner join england as e
        on c.period_type = e.period_type and c.period_start = e.period_start
    where c.geography_type <> 'england'
      and c.denominator > 0
      and e.england_value_pct is not null
),

limits as (
    select
        a.*,
        {{ funnel_limit_columns('a.england_value_pct', 'a.denominator') }}
    from areas as a
),

final as (
    select
        li.period_type,
        li.period_start,
        li.period_end,
        pl.period_label,
        li.geography_type,
        li.geography_code,
        li.geography_name,
        li.denominator,
        li.numerator,
        li.value_pct,
        li.england_value_pct,
        li.lower_limit_95_pct,
        li.upper_limit_95_pct,
        li.lower_limit_998_pct,
        li.upper_limit_998_pct,
        {{ funnel_position('li.value_pct', 'li.lower_limit_95_pct', 'li.upper_limit_95_pct') }} as position_95,
        {{ funnel_position('li.value_pct', 'li.lower_limit_998_pct', 'li.upper_limit_998_pct') }} as position_998
    from limits as li
    left join period_labels as pl
        on li.period_type = pl.period_type and li.period_start = pl.period_start
)

select * from final
