-- marts.continuity_flows as the partner tier publishes it (indicators.md s.1 companion report,
-- s.4): the pairs with at least disclosure_min_count releases named, the smaller ones added
-- into an "other areas" row per prison and an "other prisons" row per area
-- (disclosure_flow_rows); every count exact or hidden as disclosure_suppression decided; the
-- pick-up rate from the shown counts (the true rate), or hidden with them.
{% set rounded = disclosure_is_rounded() %}
with flows as (
    select * from {{ ref('disclosure_flow_rows') }}
),

period_labels as (select * from {{ ref('int_c20_period_labels') }}),
prisons as (select * from {{ ref('prisons') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),

decisions as (
    {{ disclosure_reasons('continuity_flows', ['releases', 'engaged', 'pending']) }}
),

decided as (
    select
        f.*,
        coalesce(l.is_partial_period, false) as is_partial_period,
        {% for count in ['releases', 'engaged', 'pending'] %}
        case when l.is_partial_period then 'unpublished' else coalesce(d.{{ count }}_reason, 'shown') end
            as {{ count }}_reason{{ ',' if not loop.last }}
        {% endfor %}
    from flows as f
    left join period_labels as l
        on f.period_type = l.period_type and f.period_start = l.period_start
    left join decisions as d on f.row_key = d.row_key
),

{% set status -%}
    case
        when is_partial_period then {{ value_note('partial_period') }}
        when releases = 0 and pending > 0 then {{ value_note('all_pending') }}
        when releases = 0 then {{ value_note('no_releases') }}
        when pending > 0 then {{ value_note('provisional') }}
    end
{%- endset %}

shown as (
    select
        decided.*,
        {{ disclosure_count('releases', 'releases_reason') }} as shown_releases,
        {{ disclosure_count('engaged', 'engaged_reason') }} as shown_engaged,
        {{ disclosure_count('pending', 'pending_reason') }} as shown_pending,
        {{ disclosure_note('releases', 'engaged', ['pending'], status=status) }} as value_note
    from decided
),

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
        s.shown_releases as releases,
        s.shown_engaged as engaged,
        s.shown_pending as pending,
        {{ pct('s.shown_engaged', 's.shown_releases') }} as value_pct,
        s.value_note
    from shown as s
    left join prisons as p on s.estab_code = p.estab_code
    left join local_authorities as la on s.exit_la_code = la.la_code
)

select * from final
