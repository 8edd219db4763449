-- The median days to a first structured start (docs/methodology.md section 12), for each
-- financial year and geography of int_time_to_treatment_steps: the first day on which the
-- Kaplan-Meier curve falls to one half or below (at least half had started: S(t) <= 0.5, a
-- rounding margin of 1e-12 allowed for the sum of logarithms). No row where the curve never
-- gets there within the follow-up (the median is not reached).
with steps as (
    select * from {{ ref('int_time_to_treatment_steps') }}
),

final as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        min(day) as median_days_to_start
    from steps
    where started_on_day > 0
      and survival <= 0.5 + 1e-12
    group by period_type, period_start, geography_type, geography_code
)

select * from final
