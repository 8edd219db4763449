-- The Kaplan-Meier curve of time to treatment at each day something happens (docs/methodology.md
-- section 12), for every financial year and for England, each region and each local
-- authority (EXITDEST) of the reference table, as C20 groups releases (int_c20_counts):
-- - started_on_day (d), censored_on_day (c): releases whose observed time ends that day with
--   a start, or with the end of follow-up;
-- - at_risk (n): releases still followed without a start at the start of that day (observed
--   time on or after it: a release censored on a day is at risk on that day, so a start and a
--   censoring on one day are ordered start first);
-- - survival: the product-limit estimate S(t) = prod over days <= t of (1 - d / n), the share
--   not yet started by the end of that day, summed as logarithms (exactly 0 once every release
--   still at risk started on one day);
-- - greenwood_sum: sum over days <= t of d / (n (n - d)), Greenwood's variance of log S(t)
--   (NULL once survival is 0).
-- Both are rounded to 12 decimal places: a sum of logarithms carries noise in the 16th digit,
-- which would make equal curves differ between engines and runs.
with times as (
    select * from {{ ref('int_release_time_to_start') }}
),

profiles as (
    select * from {{ ref('int_release_profiles') }}
),

periods as (
    select * from {{ ref('int_reporting_periods') }}
    where period_type = 'financial_year'
),

release_periods as (
    select
        p.period_type,
        p.period_start,
        pr.exit_la_code,
        pr.region_code,
        t.observed_days,
        t.has_started
    from times as t
    inner join profiles as pr on t.release_id = pr.release_id
    inner join periods as p
        on t.prison_exit_date >= p.period_start and t.prison_exit_date <= p.period_end
    where t.observed_days is not null
),

release_geographies as (
    select period_type, period_start, 'england' as geography_type,
           '{{ var("england_code") }}' as geography_code, observed_days, has_started
    from release_periods
    union all
    select period_type, period_start, 'region', region_code, observed_days, has_started
    from release_periods where region_code is not null
    union all
    select period_type, period_start, 'local_authority', exit_la_code, observed_days, has_started
    from release_periods where region_code is not null
),

days as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        observed_days as day,
        sum(case when has_started then 1 else 0 end) as started_on_day,
        sum(case when has_started then 0 else 1 end) as censored_on_day
    from release_geographies
    group by period_type, period_start, geography_type, geography_code, observed_days
),

risk_sets as (
    select
        days.*,
        sum(started_on_day + censored_on_day) over (
            partition by period_type, period_start, geography_type, geography_code
            order by day desc rows between unbounded preceding and current row
        ) as at_risk
    from days
),

factors as (
    select
        risk_sets.*,
        case when started_on_day >= at_risk then 1 else 0 end as all_started,
        case
            when started_on_day < at_risk
                then ln(1 - cast(started_on_day as {{ type_double() }}) / at_risk)
        end as log_factor,
        case
            when started_on_day < at_risk
                then cast(started_on_day as {{ type_double() }}) / (cast(at_risk as {{ type_double() }}) * (at_risk - started_on_day))
        end as greenwood_term
    from risk_sets
),

cumulative as (
    select
        factors.*,
        max(all_started) over (
            partition by period_type, period_start, geography_type, geography_code
            order by day rows between unbounded preceding and current row
        ) as reached_zero,
        sum(log_factor) over (
            partition by period_type, period_start, geography_type, geography_code
            order by day rows between unbounded preceding and current row
        ) as log_survival,
        sum(greenwood_term) over (
            partition by period_type, period_start, geography_type, geography_code
            order by day rows between unbounded preceding and current row
        ) as greenwood_running_sum
    from factors
),

final as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        day,
        cast(at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(started_on_day as {{ dbt.type_bigint() }}) as started_on_day,
        cast(censored_on_day as {{ dbt.type_bigint() }}) as censored_on_day,
        case
            when reached_zero = 1 then cast(0 as {{ type_double() }})
            else round(exp(coalesce(log_survival, cast(0 as {{ type_double() }}))), 12)
        end as survival,
        case
            when reached_zero = 0 then round(coalesce(greenwood_running_sum, cast(0 as {{ type_double() }})), 12)
        end as greenwood_sum
    from cumulative
)

select * from final
