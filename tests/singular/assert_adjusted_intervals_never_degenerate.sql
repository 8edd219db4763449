-- An adjusted (standardised) breakdown interval always has width (tiny groups used
-- to get [0.977, 0.977], [0, 0] and [1, 1]) and holds its mean. Returns the rows that break it.
select *
from {{ ref('int_inequality_standardised') }}
where n > 0
  and (not lower_ci95 < upper_ci95 or mean < lower_ci95 or mean > upper_ci95)
