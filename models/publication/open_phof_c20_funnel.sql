-- marts.phof_c20_funnel as published: the funnel plot of the open publication's C20 values.
-- Each point is a region, local authority or prison row whose value the publication shows;
-- its control limits are around England's value for its published (rounded) denominator and
-- its position is read from its published value, so the plot a reader redraws from the
-- published table names the same outliers. Hidden rows are not points.
with c20 as (
    select * from {{ ref('open_phof_c20') }}
),

england as (
    select period_type, period_start, value_pct as england_value_pct
    from c20
    where geography_type = 'england'
),

areas as (
    select c.*, e.england_value_pct
    from c20 as c
    inner join england as e
        on c.period_type = e.period_type and c.period_start = e.period_start
    where c.geography_type <> 'england'
      and c.value_pct is not null
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
        period_type,
        period_start,
        period_end,
        period_label,
        geography_type,
        geography_code,
        geography_name,
        denominator,
        numerator,
        value_pct,
        england_value_pct,
        lower_limit_95_pct,
        upper_limit_95_pct,
        lower_limit_998_pct,
        upper_limit_998_pct,
        {{ funnel_position('value_pct', 'lower_limit_95_pct', 'upper_limit_95_pct') }} as position_95,
        {{ funnel_position('value_pct', 'lower_limit_998_pct', 'upper_limit_998_pct') }} as position_998
    from limits
)

select * from final
