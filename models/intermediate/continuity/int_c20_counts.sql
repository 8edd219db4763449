-- C20 counts, value and intervals for every reporting period and geography (indicators.md
-- s.1): England, every region and every English upper-tier LA of the reference table (0
-- denominators give NULL value and interval), and every prison in the reference table or
-- with releases. Pending releases count in neither numerator nor denominator. The 95% and
-- 99.8% Wilson intervals are on exact counts; marts.phof_c20 publishes these rows and the
-- comparison, trend and label models read them (an intermediate never reads a mart).
with profiles as (select * from {{ ref('int_release_profiles') }}),
engagement as (select * from {{ ref('int_release_engagement') }}),
periods as (select * from {{ ref('int_reporting_periods') }}),
regions as (select * from {{ ref('regions') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),
prisons as (select * from {{ ref('prisons') }}),

releases as (
    select p.release_id, p.estab_code, p.exit_la_code, p.region_code, p.prison_exit_date, e.status
    from profiles as p
    inner join engagement as e on p.release_id = e.release_id
),

release_periods as (
    select p.period_type, p.period_start, p.period_end, r.*
    from releases as r
    inner join periods as p
        on r.prison_exit_date >= p.period_start and r.prison_exit_date <= p.period_end
),

release_geographies as (
    select period_type, period_start, period_end, 'england' as geography_type,
           '{{ var("england_code") }}' as geography_code, status
    from release_periods
    union all
    select period_type, period_start, period_end, 'region', region_code, status
    from release_periods where region_code is not null
    union all
    select period_type, period_start, period_end, 'local_authority', exit_la_code, status
    from release_periods where region_code is not null
    union all
    select period_type, period_start, period_end, 'prison', estab_code, status
    from release_periods
),

counts as (
    select
        period_type, period_start, period_end, geography_type, geography_code,
        cast(sum(case when status in ('engaged', 'not_engaged') then 1 else 0 end) as {{ dbt.type_bigint() }}) as denominator,
        cast(sum(case when status = 'engaged' then 1 else 0 end) as {{ dbt.type_bigint() }}) as numerator,
        cast(sum(case when status = 'pending' then 1 else 0 end) as {{ dbt.type_bigint() }}) as pending
    from release_geographies
    group by period_type, period_start, period_end, geography_type, geography_code
),

geographies as (
    select 'england' as geography_type, '{{ var("england_code") }}' as geography_code,
           'England' as geography_name, cast(null as {{ dbt.type_string() }}) as parent_region_code
    union all
    select 'region', region_code, region_name, cast(null as {{ dbt.type_string() }}) from regions
    union all
    select 'local_authority', la_code, la_name, region_code from local_authorities
    union all
    select 'prison', estab_code, prison_name, cast(null as {{ dbt.type_string() }}) from prisons
    union all
    select distinct 'prison', r.estab_code, cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }})
    from releases as r
    left join prisons as p on r.estab_code = p.estab_code
    where p.estab_code is null
),

frame as (
    select p.period_type, p.period_start, p.period_end, g.geography_type, g.geography_code,
           g.geography_name, g.parent_region_code
    from periods as p
    cross join geographies as g
),

final as (
    select
        f.period_type,
        f.period_start,
        f.period_end,
        f.geography_type,
        f.geography_code,
        f.geography_name,
        f.parent_region_code,
        coalesce(c.denominator, 0) as denominator,
        coalesce(c.numerator, 0) as numerator,
        coalesce(c.pending, 0) as pending,
        {{ pct('c.numerator', 'c.denominator') }} as value_pct,
        {{ wilson_lower_pct('c.numerator', 'c.denominator') }} as lower_ci95_pct,
        {{ wilson_upper_pct('c.numerator', 'c.denominator') }} as upper_ci95_pct,
        {{ wilson_lower_pct('c.numerator', 'c.denominator', var('wilson_z_998')) }} as lower_ci998_pct,
        {{ wilson_upper_pct('c.numerator', 'c.denominator', var('wilson_z_998')) }} as upper_ci998_pct
    from frame as f
    left join counts as c
        on f.period_type = c.period_type
       and f.period_start = c.period_start
       and f.geography_type = c.geography_type
       and f.geography_code = c.geography_code
)

select * from final
