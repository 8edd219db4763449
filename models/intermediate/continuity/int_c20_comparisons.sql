-- C20 compared with England and, for local authorities, with their region (indicators.md
-- s.1, as Fingertips publishes PHOF indicators; higher is better): at 95% and at 99.8%, the
-- row's Wilson interval (exact counts) against the reference row's value for the same period,
-- through the one rule in macros/compare_with.sql. The England row is not compared with
-- itself (NULL); rows other than local authorities have no region comparison (NULL).
with counts as (select * from {{ ref('int_c20_counts') }}),

england as (
    select period_type, period_start, value_pct as england_value_pct
    from counts
    where geography_type = 'england'
),

regions as (
    select period_type, period_start, geography_code as region_code, value_pct as region_value_pct
    from counts
    where geography_type = 'region'
),

with_references as (
    select c.*, e.england_value_pct, r.region_value_pct
    from counts as c
    left join england as e
        on c.period_type = e.period_type and c.period_start = e.period_start
    left join regions as r
        on c.period_type = r.period_type and c.period_start = r.period_start
       and c.geography_type = 'local_authority' and c.parent_region_code = r.region_code
),

final as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        england_value_pct,
        region_value_pct,
        case when geography_type <> 'england' then
            {{ compare_with('lower_ci95_pct', 'upper_ci95_pct', 'england_value_pct') }}
        end as compared_with_england_95,
        case when geography_type <> 'england' then
            {{ compare_with('lower_ci998_pct', 'upper_ci998_pct', 'england_value_pct') }}
        end as compared_with_england_998,
        case when geography_type = 'local_authority' then
            {{ compare_with('lower_ci95_pct', 'upper_ci95_pct', 'region_value_pct') }}
        end as compared_with_region_95,
        case when geography_type = 'local_authority' then
            {{ compare_with('lower_ci998_pct', 'upper_ci998_pct', 'region_value_pct') }}
        end as compared_with_region_998
    from with_references
)

select * from final
