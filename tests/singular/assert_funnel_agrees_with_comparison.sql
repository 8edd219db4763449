-- Two routes to one answer (docs/methodology.md): a point lies above the funnel's upper limit
-- around England's value exactly when its Wilson interval at the same level lies wholly above
-- England's value (compared_with_england Better), and below exactly when Worse. The limits
-- (macros/funnel.sql) and the intervals (macros/wilson.sql) are computed by different
-- formulas, so this checks both on every row. Returns the rows where they disagree.
-- a check on phof_c20_funnel in Dagster (it reads phof_c20 too)
{{ config(meta={'dagster': {'ref': {'name': 'phof_c20_funnel'}}}) }}
with funnel as (select * from {{ ref('phof_c20_funnel') }}),
c20 as (select * from {{ ref('phof_c20') }})

select f.period_type, f.period_start, f.geography_type, f.geography_code,
       f.position_95, c.compared_with_england_95, f.position_998, c.compared_with_england_998
from funnel as f
inner join c20 as c
    on f.period_type = c.period_type and f.period_start = c.period_start
   and f.geography_type = c.geography_type and f.geography_code = c.geography_code
where (f.position_95 = 'above') <> (c.compared_with_england_95 = 'Better')
   or (f.position_95 = 'below') <> (c.compared_with_england_95 = 'Worse')
   or (f.position_998 = 'above') <> (c.compared_with_england_998 = 'Better')
   or (f.position_998 = 'below') <> (c.compared_with_england_998 = 'Worse')
