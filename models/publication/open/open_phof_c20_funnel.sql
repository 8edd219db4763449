-- marts.phof_c20_funnel as the open tier publishes it: the mart's funnel points (limits
-- around England's value for the row's denominator, and the row's position) for every
-- region, local authority and prison row whose value the open tier shows. A row whose value
-- is hidden is no point. In the stricter release nothing below England is compared, so the
-- funnel has no points.
with funnel as (
    select * from {{ ref('phof_c20_funnel') }}
),

published as (
    select * from {{ ref('open_phof_c20') }}
),

final as (
    select
        f.period_type,
        f.period_start,
        f.period_end,
        f.period_label,
        f.geography_type,
        f.geography_code,
        f.geography_name,
        f.denominator,
        f.numerator,
        f.value_pct,
        f.england_value_pct,
        f.lower_limit_95_pct,
        f.upper_limit_95_pct,
        f.lower_limit_998_pct,
        f.upper_limit_998_pct,
        f.position_95,
        f.position_998
    from funnel as f
    inner join published as p
        on f.period_type = p.period_type and f.period_start = p.period_start
       and f.geography_type = p.geography_type and f.geography_code = p.geography_code
    where p.value_pct is not null
      and {{ 'false' if disclosure_is_rounded() else 'true' }}
)

select * from final
