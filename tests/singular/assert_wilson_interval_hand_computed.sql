{{ config(tags=['code_check']) }}
-- The Wilson macros against values computed by hand from indicators.md s.1,
-- (2x + z^2 -/+ z*sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)), z = 1.959964:
--   x=30, n=100: (63.8415 -/+ 18.3696) / 207.6831 -> 21.894885% to 39.584855% (21.9% to 39.6% to one decimal)
--   x=0,  n=10:  lower exactly 0 (not a rounding hair above), upper 3.8415*2/27.6831 -> 27.753280%
--   x=10, n=10:  72.246720% to 100%
--   x=2,  n=4:   15.003899% to 84.996101%
--   n=0: NULL (no denominator, no interval)
--   arguments may be expressions: x = 20 + 10, n = 60 + 40 is the first case again, and
--   pct(20 + 10, 60 + 40) = 30%
-- At 99.8% (z = 3.090232, z^2 = 9.549534):
--   x=2,  n=4:   (13.549534 -/+ 3.090232*sqrt(9.549534 + 4)) / 27.099068
--                = (13.549534 -/+ 11.375049) / 27.099068 -> 8.024207% to 91.975793%
--   x=30, n=100: (69.549534 -/+ 3.090232*sqrt(9.549534 + 84)) / 219.099068
--                = (69.549534 -/+ 29.889035) / 219.099068 -> 18.101628% to 45.385209%
--   x=0,  n=10:  lower exactly 0, upper 2*9.549534 / 39.099068 -> 48.847885%
-- Returns the failing cases; none is a pass.
-- a check on int_c20_counts in Dagster (C20's intervals come from these macros)
{{ config(meta={'dagster': {'ref': {'name': 'int_c20_counts'}}}) }}
with cases as (
    select 30 as x, 100 as n, 21.894885 as lower_expected, 39.584855 as upper_expected
    union all select 0, 10, 0.0, 27.753280
    union all select 10, 10, 72.246720, 100.0
    union all select 2, 4, 15.003899, 84.996101
),

computed as (
    select cases.*,
        {{ wilson_lower_pct('x', 'n') }} as lower_pct,
        {{ wilson_upper_pct('x', 'n') }} as upper_pct
    from cases
),

cases_998 as (
    select 2 as x, 4 as n, 8.024207 as lower_expected, 91.975793 as upper_expected
    union all select 30, 100, 18.101628, 45.385209
    union all select 0, 10, 0.0, 48.847885
),

computed_998 as (
    select cases_998.*,
        {{ wilson_lower_pct('x', 'n', var('wilson_z_998')) }} as lower_pct,
        {{ wilson_upper_pct('x', 'n', var('wilson_z_998')) }} as upper_pct
    from cases_998
),

empty_denominator as (
    select {{ wilson_lower_pct('0', '0') }} as lower_pct, {{ wilson_upper_pct('0', '0') }} as upper_pct
),

expression_arguments as (
    select
        {{ wilson_lower_pct('20 + 10', '60 + 40') }} as lower_pct,
        {{ wilson_upper_pct('20 + 10', '60 + 40') }} as upper_pct,
        {{ pct('20 + 10', '60 + 40') }} as value_pct
)

select x, n, lower_pct, upper_pct from computed
where abs(lower_pct - lower_expected) > 0.000001 or abs(upper_pct - upper_expected) > 0.000001
   or (x = 0 and lower_pct <> 0) or (x = n and upper_pct <> 100)
union all
select x, n, lower_pct, upper_pct from computed_998
where abs(lower_pct - lower_expected) > 0.000001 or abs(upper_pct - upper_expected) > 0.000001
   or (x = 0 and lower_pct <> 0)
union all
select 0, 0, lower_pct, upper_pct from empty_denominator
where lower_pct is not null or upper_pct is not null
union all
select 30, 100, lower_pct, upper_pct from expression_arguments
where abs(lower_pct - 21.894885) > 0.000001 or abs(upper_pct - 39.584855) > 0.000001 or value_pct <> 30.0
