-- The prison-to-area flows as the partner tier shows them, before any count is hidden
-- (indicators.md s.1 companion report, s.4): a pair is named only when at least
-- disclosure_min_count people were released along it in the period (judged or pending); the
-- smaller pairs add up into one "other areas" row per prison and one "other prisons" row per
-- area, so each prison's and each area's rows still add up to its total.
with flows as (
    select * from {{ ref('continuity_flows') }}
),

sized as (
    select
        flows.*,
        releases + pending >= {{ var('disclosure_min_count') }} as is_named
    from flows
    where releases + pending > 0
),

named_pairs as (
    select
        period_type, period_start, period_end, 'pair' as flow_type, estab_code, exit_la_code,
        releases, engaged, pending
    from sized
    where is_named
),

other_areas as (
    select
        period_type, period_start, period_end, 'other_areas' as flow_type, estab_code,
        cast(null as {{ dbt.type_string() }}) as exit_la_code,
        sum(releases) as releases, sum(engaged) as engaged, sum(pending) as pending
    from sized
    where not is_named
    group by period_type, period_start, period_end, estab_code
),

other_prisons as (
    select
        period_type, period_start, period_end, 'other_prisons' as flow_type,
        cast(null as {{ dbt.type_string() }}) as estab_code, exit_la_code,
        sum(releases) as releases, sum(engaged) as engaged, sum(pending) as pending
    from sized
    where not is_named
    group by period_type, period_start, period_end, exit_la_code
),

final as (
    select * from named_pairs
    union all
    select * from other_areas
    union all
    select * from other_prisons
)

select
    period_type,
    period_start,
    period_end,
    flow_type,
    estab_code,
    exit_la_code,
    cast(releases as {{ dbt.type_bigint() }}) as releases,
    cast(engaged as {{ dbt.type_bigint() }}) as engaged,
    cast(pending as {{ dbt.type_bigint() }}) as pending,
    {{ disclosure_key(['period_start', 'period_end', 'flow_type', 'estab_code', 'exit_la_code']) }} as row_key
from final
