{{ config(tags=['code_check']) }}
-- The funnel limit macro against hand computation (docs/methodology.md "Funnel plot limits"):
-- target 40%, limits 40 -/+ 100 z sqrt(0.4 x 0.6 / n):
--   n = 100: sqrt(0.0024) = 0.04898979; z = 1.959964 -> 9.601823 -> 30.398177 .. 49.601823;
--            z = 3.090232 -> 15.138983 -> 24.861017 .. 55.138983
--   n = 24:  sqrt(0.01) = 0.1 -> 19.59964 -> 20.40036 .. 59.59964; 30.90232 -> 9.09768 .. 70.90232
--   n = 1:   sqrt(0.24) = 0.489898 -> -56.02 .. 136.02 at 95%, clamped to 0 .. 100
--   n = 0:   no limits (NULL)
-- Returns the failing cases; none is a pass.
-- a check on phof_c20_funnel in Dagster (its limits come from funnel_limit_pct)
{{ config(meta={'dagster': {'ref': {'name': 'phof_c20_funnel'}}}) }}
with cases as (
    select 100 as n, 1.959964 as z, 30.398177 as lower_expected, 49.601823 as upper_expected
    union all select 100, 3.090232, 24.861017, 55.138983
    union all select 24, 1.959964, 20.40036, 59.59964
    union all select 24, 3.090232, 9.09768, 70.90232
    union all select 1, 1.959964, 0.0, 100.0
),

computed as (
    select cases.*,
        {{ funnel_limit_pct('40.0', 'n', 'z', -1) }} as lower_pct,
        {{ funnel_limit_pct('40.0', 'n', 'z', 1) }} as upper_pct
    from cases
),

empty as (
    select {{ funnel_limit_pct('40.0', '0', '1.959964', -1) }} as lower_pct,
           {{ funnel_limit_pct('40.0', '0', '1.959964', 1) }} as upper_pct
)

select n, z, lower_pct, upper_pct from computed
where abs(lower_pct - lower_expected) > 0.000001 or abs(upper_pct - upper_expected) > 0.000001
union all
select 0, 0, lower_pct, upper_pct from empty
where lower_pct is not null or upper_pct is not null
