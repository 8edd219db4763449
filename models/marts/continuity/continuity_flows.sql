-- The companion report (indicators.md s.1, source 003 s.5.5): for each period, prison and
-- receiving local authority, the judged releases, how many engaged, and the pick-up rate, so
-- a reader sees a prison's main receiving areas and an area's main referring prisons.
with releases as (
    select * from {{ ref('continuity_releases') }}
),

periods as (select * from {{ ref('int_reporting_periods') }}),

counts as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        r.estab_code,
        r.exit_la_code,
        cast(sum(case when r.status in ('engaged', 'not_engaged') then 1 else 0 end) as {{ dbt.type_bigint() }}) as releases,
        cast(sum(case when r.status = 'engaged' then 1 else 0 end) as {{ dbt.type_bigint() }}) as engaged,
        cast(sum(case when r.status = 'pending' then 1 else 0 end) as {{ dbt.type_bigint() }}) as pending
    from releases as r
    inner join periods as p
        on r.prison_exit_date >= p.period_start and r.prison_exit_date <= p.period_end
    group by p.period_type, p.period_start, p.period_end, r.estab_code, r.exit_la_code
),

final as (
    select
        period_type,
        period_start,
        period_end,
        estab_code,
        exit_la_code,
        releases,
        engaged,
        pending,
        {{ pct('engaged', 'releases') }} as value_pct
    from counts
)

select * from final
