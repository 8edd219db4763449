-- The Kaplan-Meier curve of time to treatment read at each reporting day k of
-- var('time_to_treatment_days') up to the horizon (docs/methodology.md section 12), for each
-- financial year and geography of int_time_to_treatment_steps:
-- - started_pct = 100 (1 - S(k)), S(k) the curve at the last step day on or before k (1 before
--   the first); NULL when nobody is followed to day k (at_risk 0) unless S already reached 0;
-- - its 95% interval from Greenwood's variance on the log(-log) scale (Kalbfleisch and
--   Prentice): with V the Greenwood sum and se = sqrt(V) / |ln S|, S is between
--   S^exp(z se) and S^exp(-z se), so started_pct is between 100 (1 - S^exp(-z se)) and
--   100 (1 - S^exp(z se)); NULL where S is 1 (no start yet) or 0 (every release followed
--   started), where the interval is not defined;
-- - the counts: releases_followed (all in the group), at_risk (followed without a start at the start of
--   day k), started (starts on days 0..k), started_on_day (starts on day k), censored (follow-up
--   ended without a start before day k): releases_followed = at_risk + censored + started - started_on_day.
-- Percentages are rounded to 10 decimal places (the curve's own precision is 12 digits).
{% set z = var('time_to_treatment_z') %}
with steps as (
    select * from {{ ref('int_time_to_treatment_steps') }}
),

report_days as (
    {{ time_to_treatment_report_days('report_day') }}
),

groups as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        max(at_risk) as releases_followed
    from steps
    group by period_type, period_start, geography_type, geography_code
),

-- the curve at the last step day on or before each reporting day
last_steps as (
    select * from (
        select
            s.period_type,
            s.period_start,
            s.geography_type,
            s.geography_code,
            d.report_day,
            s.survival,
            s.greenwood_sum,
            row_number() over (
                partition by s.period_type, s.period_start, s.geography_type, s.geography_code, d.report_day
                order by s.day desc
            ) as step_rank
        from steps as s
        inner join report_days as d on s.day <= d.report_day
    ) as ranked
    where step_rank = 1
),

counts as (
    select
        s.period_type,
        s.period_start,
        s.geography_type,
        s.geography_code,
        d.report_day,
        sum(case when s.day >= d.report_day then s.started_on_day + s.censored_on_day else 0 end) as at_risk,
        sum(case when s.day <= d.report_day then s.started_on_day else 0 end) as started,
        sum(case when s.day = d.report_day then s.started_on_day else 0 end) as started_on_day,
        sum(case when s.day < d.report_day then s.censored_on_day else 0 end) as censored
    from steps as s
    cross join report_days as d
    group by s.period_type, s.period_start, s.geography_type, s.geography_code, d.report_day
),

estimates as (
    select
        c.*,
        g.releases_followed,
        coalesce(l.survival, cast(1 as {{ type_double() }})) as survival,
        coalesce(l.greenwood_sum, cast(0 as {{ type_double() }})) as greenwood_sum
    from counts as c
    inner join groups as g
        on c.period_type = g.period_type and c.period_start = g.period_start
       and c.geography_type = g.geography_type and c.geography_code = g.geography_code
    left join last_steps as l
        on c.period_type = l.period_type and c.period_start = l.period_start
       and c.geography_type = l.geography_type and c.geography_code = l.geography_code
       and c.report_day = l.report_day
),

final as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        report_day as day,
        cast(releases_followed as {{ dbt.type_bigint() }}) as releases_followed,
        cast(at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(started as {{ dbt.type_bigint() }}) as started,
        cast(started_on_day as {{ dbt.type_bigint() }}) as started_on_day,
        cast(censored as {{ dbt.type_bigint() }}) as censored,
        case when at_risk > 0 or survival = 0 then round(100 * (1 - survival), 10) end as started_pct,
        case
            when at_risk > 0 and survival > 0 and survival < 1
                then round(100 * (1 - power(survival, exp(-{{ z }} * sqrt(greenwood_sum) / (-ln(survival))))), 10)
        end as lower_ci95_pct,
        case
            when at_risk > 0 and survival > 0 and survival < 1
                then round(100 * (1 - power(survival, exp({{ z }} * sqrt(greenwood_sum) / (-ln(survival))))), 10)
        end as upper_ci95_pct
    from estimates
)

select * from final
