-- Two routes to one answer (docs/methodology.md section 12): for a financial year whose
-- releases are all judged (phof_c20's England row has no pending release), no release is
-- censored before day 21, so the Kaplan-Meier curve at day 21 is C20: releases = denominator,
-- started = numerator and started_pct = value_pct (to rounding), for England, every region and
-- every local authority. Returns the rows where they differ.
-- a check on time_to_treatment in Dagster (it reads phof_c20 too)
{{ config(meta={'dagster': {'ref': {'name': 'time_to_treatment'}}}) }}
with curves as (select * from {{ ref('time_to_treatment') }}),
c20 as (select * from {{ ref('phof_c20') }}),

closed_years as (
    select period_type, period_start
    from c20
    where period_type = 'financial_year' and geography_type = 'england' and pending = 0
)

select t.period_start, t.geography_type, t.geography_code, t.releases_followed, c.denominator,
       t.started, c.numerator, t.started_pct, c.value_pct
from curves as t
inner join closed_years as y on t.period_type = y.period_type and t.period_start = y.period_start
inner join c20 as c
    on t.period_type = c.period_type and t.period_start = c.period_start
   and t.geography_type = c.geography_type and t.geography_code = c.geography_code
where t.day = {{ var('engagement_window_days') }}
  and (t.releases_followed <> c.denominator
       or t.started <> c.numerator
       or (t.started_pct is null) <> (c.value_pct is null)
       or abs(t.started_pct - c.value_pct) > 1e-8)
