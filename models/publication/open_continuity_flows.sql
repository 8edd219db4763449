-- marts.continuity_flows as published (indicators.md s.4). A prison-to-area pair is named
-- only when at least disclosure_min_count people were released along it in the period
-- (judged or pending); the smaller pairs are added up into one "other areas" row per prison
-- and one "other prisons" row per area, so each prison's and each area's rows still add up
-- to its total. Then every count is controlled (1-7 hidden, others rounded to 5), one more
-- cell is hidden where a single hidden cell could be recovered from its prison's or its
-- area's total, and the pick-up rate is recomputed from the rounded counts or hidden.
with flows as (
    select * from {{ ref('continuity_flows') }}
),

prisons as (select * from {{ ref('prisons') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),

sized as (
    select
        flows.*,
        not {{ disclosure_is_small('releases + pending') }} and releases + pending > 0 as is_named
    from flows
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

rows_shown as (
    select * from named_pairs
    union all
    select * from other_areas
    union all
    select * from other_prisons
),

flagged as (
    select
        rows_shown.*,
        false as is_national,
        flow_type = 'other_prisons' as outside_prison_total,
        flow_type = 'other_areas' as outside_area_total,
        {{ disclosure_is_small('releases') }} as releases_small,
        {{ disclosure_is_small('engaged') }} as engaged_small,
        {{ disclosure_is_small('pending') }} as pending_small
    from rows_shown
),

hidden as (
    select
        flagged.*,
        {% for count in ['releases', 'engaged', 'pending'] %}
        {{ count }}_small
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national or outside_prison_total',
            'period_type, period_start, estab_code', 'exit_la_code') }}
        or {{ disclosure_secondary(count, count ~ '_small', 'is_national or outside_area_total',
            'period_type, period_start, exit_la_code', 'estab_code') }} as {{ count }}_hidden{{ ',' if not loop.last }}
        {% endfor %}
    from flagged
),

shown as (
    select
        period_type,
        period_start,
        period_end,
        flow_type,
        estab_code,
        exit_la_code,
        {{ disclosure_shown('releases', 'releases_hidden', 'is_national') }} as releases,
        {{ disclosure_shown('engaged', 'engaged_hidden or releases_hidden', 'is_national') }} as engaged,
        {{ disclosure_shown('pending', 'pending_hidden', 'is_national') }} as pending,
        releases_hidden or engaged_hidden as value_hidden,
        releases_hidden or engaged_hidden or pending_hidden as count_hidden,
        releases as exact_releases,
        pending as exact_pending
    from hidden
),

{% set value_reason -%}
    case
        when value_hidden then {{ value_note('suppressed') }}
        when exact_releases = 0 and exact_pending > 0 then {{ value_note('all_pending') }}
        when exact_releases = 0 then {{ value_note('no_releases') }}
        when exact_pending > 0 then {{ value_note('provisional') }}
    end
{%- endset %}

final as (
    select
        s.period_type,
        s.period_start,
        s.period_end,
        s.flow_type,
        s.estab_code,
        case when s.flow_type = 'other_prisons' then 'Other prisons' else p.prison_name end as prison_name,
        s.exit_la_code,
        case
            when s.flow_type = 'other_areas' then 'Other areas'
            when s.exit_la_code is null then 'Not recorded'
            else la.la_name
        end as la_name,
        s.releases,
        s.engaged,
        s.pending,
        case when not s.value_hidden then {{ pct('s.engaged', 's.releases') }} end as value_pct,
        {{ join_notes(value_reason, 'count_hidden') }} as value_note
    from shown as s
    left join prisons as p on s.estab_code = p.estab_code
    left join local_authorities as la on s.exit_la_code = la.la_code
)

select * from final
