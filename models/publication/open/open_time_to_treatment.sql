-- marts.time_to_treatment as the open tier publishes it (issue 38; indicators.md s.4): for
-- England, regions and local authorities, each financial year and reported day, the releases,
-- the releases started and those still followed (at risk), the Kaplan-Meier share started with
-- its Greenwood interval, and the median days to a start. Every count is the mart's own or
-- hidden as disclosure_suppression decided; the share, interval and median are the mart's
-- own, shown only where every count of the row is shown (and the median only where every day
-- of the year is), so they reveal no hidden count. In the stricter release counts below
-- England are rounded and nothing below England is estimated.
{% set rounded = disclosure_is_rounded() %}
with curves as (
    select * from {{ ref('time_to_treatment') }}
),

decisions as (
    {{ disclosure_reasons('time_to_treatment', ['releases_followed', 'started', 'at_risk']) }}
),

decided as (
    select
        c.*,
        c.geography_type = 'england' as is_national,
        coalesce(d.releases_followed_reason, 'shown') as releases_followed_reason,
        coalesce(d.started_reason, 'shown') as started_reason,
        coalesce(d.at_risk_reason, 'shown') as at_risk_reason
    from curves as c
    left join decisions as d
        on d.row_key = {{ disclosure_key(['c.period_start', 'c.period_end', 'c.geography_type', 'c.geography_code', 'c.day']) }}
),

shown as (
    select
        decided.*,
        releases_followed_reason = 'shown' and started_reason = 'shown' and at_risk_reason = 'shown'
            {%- if rounded %} and is_national{% endif %} as value_shown
    from decided
),

years as (
    select period_start, geography_type, geography_code, bool_and(value_shown) as every_day_shown
    from shown
    group by period_start, geography_type, geography_code
),

final as (
    select
        s.period_type,
        s.period_start,
        s.period_end,
        s.geography_type,
        s.geography_code,
        s.geography_name,
        s.parent_region_code,
        s.day,
        {{ disclosure_count('s.releases_followed', 's.releases_followed_reason', 's.is_national') }} as releases_followed,
        {{ disclosure_count('s.started', 's.started_reason', 's.is_national') }} as started,
        {{ disclosure_count('s.at_risk', 's.at_risk_reason', 's.is_national') }} as at_risk,
        case when s.value_shown then s.started_pct end as started_pct,
        case when s.value_shown then s.lower_ci95_pct end as lower_ci95_pct,
        case when s.value_shown then s.upper_ci95_pct end as upper_ci95_pct,
        case when y.every_day_shown then s.median_days_to_start end as median_days_to_start,
        {{ disclosure_note('s.releases_followed', 's.started', ['s.at_risk'],
            status="case when s.releases_followed = 0 then " ~ value_note('no_releases') ~ " end",
            extra=(["case when not s.is_national then " ~ value_note('rounded') ~ " end"] if rounded else [])) }}
            as value_note
    from shown as s
    inner join years as y
        on s.period_start = y.period_start and s.geography_type = y.geography_type
       and s.geography_code = y.geography_code
)

select * from final
