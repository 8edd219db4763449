-- C20 recent trend (indicators.md s.1, as Fingertips publishes it): for each geography and
-- financial year, the chi-square test for trend in proportions over the var('trend_years')
-- (5) consecutive financial years ending that year, t = 1..5 oldest first, on exact counts:
--   chi2 = N (N sum x_t t - X sum n_t t)^2 / (X (N - X) (N sum n_t t^2 - (sum n_t t)^2)),
-- significant when chi2 > var('trend_chi_square_critical') (9.5495, 99.8%, 1 df) and the
-- least-squares slope of ln(x_t / (n_t - x_t)) on t keeps its (non-zero) sign when any one
-- of the five points is left out. `Cannot be calculated` when one of the five years is not a
-- reporting period or has no denominator, or has x = 0 or x = n.
-- A rolling 12-month row carries the trend of the latest financial year ending on or before
-- its last day (its five years are in trend_period_start..trend_period_end); with none, it
-- cannot be calculated. Higher is better: increasing is `Increasing and getting better`.
with counts as (select * from {{ ref('int_c20_counts') }}),

financial_years as (
    select geography_type, geography_code, period_start, period_end,
           cast(numerator as {{ type_double() }}) as x,
           cast(denominator as {{ type_double() }}) as n
    from counts
    where period_type = 'financial_year'
),

window_points as (
    select
        target.geography_type,
        target.geography_code,
        target.period_start as target_start,
        target.period_end as target_end,
        point.x,
        point.n,
        cast(extract(year from point.period_start) - extract(year from target.period_start)
             + {{ var('trend_years') }} as {{ type_double() }}) as t,
        case when point.n > 0 and point.x > 0 and point.x < point.n
             then ln(point.x / (point.n - point.x)) end as log_odds
    from financial_years as target
    inner join financial_years as point
        on point.geography_type = target.geography_type
       and point.geography_code = target.geography_code
       and point.period_start <= target.period_start
       and point.period_start >= {{ add_to_date('month', -12 * (var('trend_years') - 1), 'target.period_start') }}
),

window_sums as (
    select
        geography_type, geography_code, target_start, target_end,
        sum(case when n > 0 then 1 else 0 end) as years_with_denominator,
        sum(case when log_odds is null then 1 else 0 end) as years_unusable,
        sum(x) as sum_x,
        sum(n) as sum_n,
        sum(x * t) as sum_xt,
        sum(n * t) as sum_nt,
        sum(n * t * t) as sum_ntt,
        sum(t) as sum_t,
        sum(t * t) as sum_tt,
        sum(log_odds) as sum_y,
        sum(t * log_odds) as sum_ty
    from window_points
    group by geography_type, geography_code, target_start, target_end
),

calculable as (
    select
        *,
        years_with_denominator = {{ var('trend_years') }} and years_unusable = 0 as is_calculable
    from window_sums
),

leave_one_out as (
    {#- the slope of the other m - 1 points: the window's sums less the left-out point's #}
    {%- set m = var('trend_years') - 1 %}
    select
        c.geography_type, c.geography_code, c.target_start,
        min(({{ m }} * (c.sum_ty - p.t * p.log_odds) - (c.sum_t - p.t) * (c.sum_y - p.log_odds))
            / ({{ m }} * (c.sum_tt - p.t * p.t) - (c.sum_t - p.t) * (c.sum_t - p.t))) as min_slope,
        max(({{ m }} * (c.sum_ty - p.t * p.log_odds) - (c.sum_t - p.t) * (c.sum_y - p.log_odds))
            / ({{ m }} * (c.sum_tt - p.t * p.t) - (c.sum_t - p.t) * (c.sum_t - p.t))) as max_slope
    from calculable as c
    inner join window_points as p
        on c.geography_type = p.geography_type
       and c.geography_code = p.geography_code
       and c.target_start = p.target_start
    where c.is_calculable
    group by c.geography_type, c.geography_code, c.target_start
),

tested as (
    select
        c.geography_type,
        c.geography_code,
        c.target_start,
        c.target_end,
        c.is_calculable,
        case when c.is_calculable then
            c.sum_n * (c.sum_n * c.sum_xt - c.sum_x * c.sum_nt) * (c.sum_n * c.sum_xt - c.sum_x * c.sum_nt)
            / (c.sum_x * (c.sum_n - c.sum_x) * (c.sum_n * c.sum_ntt - c.sum_nt * c.sum_nt))
        end as chi_square,
        case when c.is_calculable then
            ({{ var('trend_years') }} * c.sum_ty - c.sum_t * c.sum_y)
            / ({{ var('trend_years') }} * c.sum_tt - c.sum_t * c.sum_t)
        end as slope,
        l.min_slope,
        l.max_slope
    from calculable as c
    left join leave_one_out as l
        on c.geography_type = l.geography_type
       and c.geography_code = l.geography_code
       and c.target_start = l.target_start
),

financial_year_trends as (
    select
        geography_type,
        geography_code,
        target_start,
        target_end,
        {{ add_to_date('month', -12 * (var('trend_years') - 1), 'target_start') }} as trend_period_start,
        chi_square,
        case
            when not is_calculable then 'Cannot be calculated'
            when chi_square > {{ var('trend_chi_square_critical') }} and slope > 0 and min_slope > 0
                then 'Increasing and getting better'
            when chi_square > {{ var('trend_chi_square_critical') }} and slope < 0 and max_slope < 0
                then 'Decreasing and getting worse'
            else 'No significant change'
        end as recent_trend
    from tested
),

rolling_candidates as (
    select
        r.period_type,
        r.period_start,
        r.geography_type,
        r.geography_code,
        f.recent_trend,
        f.chi_square,
        f.trend_period_start,
        f.target_end as trend_period_end,
        row_number() over (
            partition by r.period_type, r.period_start, r.geography_type, r.geography_code
            order by f.target_end desc
        ) as recency
    from counts as r
    inner join financial_year_trends as f
        on r.geography_type = f.geography_type
       and r.geography_code = f.geography_code
       and f.target_end <= r.period_end
    where r.period_type <> 'financial_year'
),

final as (
    select
        c.period_type,
        c.period_start,
        c.geography_type,
        c.geography_code,
        coalesce(f.recent_trend, r.recent_trend, 'Cannot be calculated') as recent_trend,
        coalesce(f.chi_square, r.chi_square) as trend_chi_square,
        coalesce(f.trend_period_start, r.trend_period_start) as trend_period_start,
        coalesce(f.target_end, r.trend_period_end) as trend_period_end
    from counts as c
    left join financial_year_trends as f
        on c.period_type = 'financial_year'
       and c.geography_type = f.geography_type
       and c.geography_code = f.geography_code
       and c.period_start = f.target_start
    left join rolling_candidates as r
        on c.period_type = r.period_type
       and c.period_start = r.period_start
       and c.geography_type = r.geography_type
       and c.geography_code = r.geography_code
       and r.recency = 1
)

select * from final
