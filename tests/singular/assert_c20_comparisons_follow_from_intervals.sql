-- Every comparison in marts.phof_c20 follows from the row's interval and the reference row's
-- value (indicators.md s.1), re-derived here without the compare_with macro: Better needs the
-- lower bound above the reference, Worse the upper bound below it, Similar the reference
-- within [lower, upper], Not compared a missing value; the England row is NULL and only local
-- authorities carry a region comparison. Returns the rows that break it.
with c20 as (select * from {{ ref('phof_c20') }}),

england as (
    select period_type, period_start, value_pct as reference_pct
    from c20 where geography_type = 'england'
),

regions as (
    select period_type, period_start, geography_code, value_pct as reference_pct
    from c20 where geography_type = 'region'
),

checks as (
    select c.geography_type, c.geography_code, c.period_type, c.period_start, '95 england' as comparison,
           c.compared_with_england_95 as label, c.lower_ci95_pct as lower_pct, c.upper_ci95_pct as upper_pct, e.reference_pct
    from c20 as c inner join england as e on c.period_type = e.period_type and c.period_start = e.period_start
    where c.geography_type <> 'england'
    union all
    select c.geography_type, c.geography_code, c.period_type, c.period_start, '99.8 england',
           c.compared_with_england_998, c.lower_ci998_pct, c.upper_ci998_pct, e.reference_pct
    from c20 as c inner join england as e on c.period_type = e.period_type and c.period_start = e.period_start
    where c.geography_type <> 'england'
    union all
    select c.geography_type, c.geography_code, c.period_type, c.period_start, '95 region',
           c.compared_with_region_95, c.lower_ci95_pct, c.upper_ci95_pct, r.reference_pct
    from c20 as c inner join regions as r
        on c.period_type = r.period_type and c.period_start = r.period_start and c.parent_region_code = r.geography_code
    where c.geography_type = 'local_authority'
    union all
    select c.geography_type, c.geography_code, c.period_type, c.period_start, '99.8 region',
           c.compared_with_region_998, c.lower_ci998_pct, c.upper_ci998_pct, r.reference_pct
    from c20 as c inner join regions as r
        on c.period_type = r.period_type and c.period_start = r.period_start and c.parent_region_code = r.geography_code
    where c.geography_type = 'local_authority'
)

select * from checks
where not (
       (label = 'Better' and lower_pct > reference_pct)
    or (label = 'Worse' and upper_pct < reference_pct)
    or (label = 'Similar' and lower_pct <= reference_pct and reference_pct <= upper_pct)
    or (label = 'Not compared' and (lower_pct is null or upper_pct is null or reference_pct is null))
)
   or label is null
union all
select geography_type, geography_code, period_type, period_start, 'not applicable', compared_with_england_95,
       null, null, null
from c20
where (geography_type = 'england' and (compared_with_england_95 is not null or compared_with_england_998 is not null))
   or (geography_type <> 'local_authority' and (compared_with_region_95 is not null or compared_with_region_998 is not null))
