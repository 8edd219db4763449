-- The recording-adjusted rate starts from C20 as published (docs/methodology.md section 13):
-- every row's denominator, numerator and value are phof_c20's for its period and geography,
-- every financial-year C20 row of England, a region or a local authority has its all row, and
-- a fix only adds releases that were judged and not engaged (numerator <= adjusted_numerator
-- <= denominator). Returns the rows that break it.
-- a check on c20_recording_adjusted in Dagster (it reads phof_c20 too)
{{ config(meta={'dagster': {'ref': {'name': 'c20_recording_adjusted'}}}) }}
with adjusted as (select * from {{ ref('c20_recording_adjusted') }}),
c20 as (
    select * from {{ ref('phof_c20') }}
    where period_type = 'financial_year' and geography_type in ('england', 'region', 'local_authority')
),

all_rows as (
    select * from adjusted where provider_role = 'all'
)

select a.period_start, a.geography_type, a.geography_code, a.provider, 'differs from phof_c20' as problem
from adjusted as a
inner join c20 as c
    on a.period_type = c.period_type and a.period_start = c.period_start
   and a.geography_type = c.geography_type and a.geography_code = c.geography_code
where a.denominator <> c.denominator
   or a.numerator <> c.numerator
   or (a.value_pct is null) <> (c.value_pct is null)
   or a.value_pct <> c.value_pct
union all
select c.period_start, c.geography_type, c.geography_code, cast(null as {{ dbt.type_string() }}), 'no all row'
from c20 as c
left join all_rows as a
    on a.period_type = c.period_type and a.period_start = c.period_start
   and a.geography_type = c.geography_type and a.geography_code = c.geography_code
where a.geography_code is null
union all
select period_start, geography_type, geography_code, provider, 'adjusted outside numerator..denominator'
from adjusted
where adjusted_numerator < numerator or adjusted_numerator > denominator
