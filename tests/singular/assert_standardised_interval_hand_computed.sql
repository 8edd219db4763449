{{ config(tags=['code_check']) }}
-- The adjusted (standardised) breakdown interval (int_inequality_standardised; docs/
-- methodology.md "Standardised proportions"): the Wilson score interval of the adjusted mean
-- m with Kish's effective sample size n_eff, i.e. the Wilson macro at x = m n_eff, n = n_eff,
-- on the cases of the model's unit test, derived by hand (z = 1.959964, z^2 = 3.841459):
--   North: m = 0.875, n_eff = 1 / 0.06640625 = 15.058824, x = 13.176471;
--          4x(1 - x/n) = 4 x 13.176471 x 0.125 = 6.588235; z sqrt(3.841459 + 6.588235) = 6.329713;
--          (26.352941 + 3.841459 -/+ 6.329713) / (2 (15.058824 + 3.841459)) = (30.194400 -/+ 6.329713) / 37.800565
--          -> 0.631332 .. 0.966232
--   South: m = 0.25, n_eff = 3.2, x = 0.8; 4 x 0.8 x 0.75 = 2.4; z sqrt(6.241459) = 4.896561;
--          (1.6 + 3.841459 -/+ 4.896561) / 14.082918 -> 0.038692 .. 0.734082
--   East:  m = 1, n_eff = 2: upper exactly 1, lower 2 x 2 / (2 (2 + 3.841459)) = 0.342380
--   a category of one person with outcome 0 (n_eff = 1): lower exactly 0, upper
--          2 x 3.841459 / (2 x 4.841459) = 0.793450
-- None is degenerate (lower < upper). Returns the failing cases; none is a pass.
-- a check on int_inequality_standardised in Dagster (its intervals come from these macros)
{{ config(meta={'dagster': {'ref': {'name': 'int_inequality_standardised'}}}) }}
with cases as (
    select 'North' as category, 0.875 as m, 1.0 / 0.06640625 as n_eff, 0.631332 as lower_expected, 0.966232 as upper_expected
    union all select 'South', 0.25, 3.2, 0.038692, 0.734082
    union all select 'East', 1.0, 2.0, 0.342380, 1.0
    union all select 'one person, 0', 0.0, 1.0, 0.0, 0.793450
),

computed as (
    select cases.*,
        {{ wilson_lower_pct('m * n_eff', 'n_eff') }} / 100.0 as lower_ci95,
        {{ wilson_upper_pct('m * n_eff', 'n_eff') }} / 100.0 as upper_ci95
    from cases
)

select * from computed
where abs(lower_ci95 - lower_expected) > 0.000001
   or abs(upper_ci95 - upper_expected) > 0.000001
   or not lower_ci95 < upper_ci95
   or (m = 1.0 and upper_ci95 <> 1.0)
   or (m = 0.0 and lower_ci95 <> 0.0)
