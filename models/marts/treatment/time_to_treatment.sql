-- Time to treatment (issue 38; docs/methodology.md section 12): the Kaplan-Meier estimate of the
-- share of releases that started structured community treatment by each reporting day, for
-- every financial year and for England, every region and every English upper-tier local
-- authority of the reference table (a row even with no releases: counts 0, estimates NULL),
-- with the same period and geography keys as phof_c20. One row per period x geography x day.
-- The rules are in the intermediate models: int_release_time_to_start (the event and the
-- follow-up), int_time_to_treatment_steps (the curve), int_time_to_treatment_curves (the
-- reporting days and the interval), int_time_to_treatment_medians (the median).
with periods as (
    select * from {{ ref('int_reporting_periods') }}
    where period_type = 'financial_year'
),

curves as (select * from {{ ref('int_time_to_treatment_curves') }}),
medians as (select * from {{ ref('int_time_to_treatment_medians') }}),
regions as (select * from {{ ref('regions') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),

report_days as (
    {{ time_to_treatment_report_days('day') }}
),

geographies as (
    select 'england' as geography_type, '{{ var("england_code") }}' as geography_code,
           'England' as geography_name, cast(null as {{ dbt.type_string() }}) as parent_region_code
    union all
    select 'region', region_code, region_name, cast(null as {{ dbt.type_string() }}) from regions
    union all
    select 'local_authority', la_code, la_name, region_code from local_authorities
),

frame as (
    select
        p.period_type, p.period_start, p.period_end,
        g.geography_type, g.geography_code, g.geography_name, g.parent_region_code,
        d.day
    from periods as p
    cross join geographies as g
    cross join report_days as d
),

final as (
    select
        f.period_type,
        f.period_start,
        f.period_end,
        f.geography_type,
        f.geography_code,
        f.geography_name,
        f.parent_region_code,
        f.day,
        coalesce(c.releases_followed, 0) as releases_followed,
        coalesce(c.at_risk, 0) as at_risk,
        coalesce(c.started, 0) as started,
        coalesce(c.started_on_day, 0) as started_on_day,
        coalesce(c.censored, 0) as censored,
        c.started_pct,
        c.lower_ci95_pct,
        c.upper_ci95_pct,
        m.median_days_to_start
    from frame as f
    left join curves as c
        on f.period_type = c.period_type and f.period_start = c.period_start
       and f.geography_type = c.geography_type and f.geography_code = c.geography_code
       and f.day = c.day
    left join medians as m
        on f.period_type = m.period_type and f.period_start = m.period_start
       and f.geography_type = m.geography_type and f.geography_code = m.geography_code
)

select * from final
