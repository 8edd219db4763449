-- Each C20 reporting period as Fingertips writes it (2023/24; rolling `Jan 2024 - Dec 2024`),
-- a sortable integer key (the first day as yyyymmdd: 20230401), and whether the period is
-- partial: it starts before the earliest data, the first day of the calendar quarter holding
-- the earliest prison exit in the warehouse (extract files are quarterly), so its 12 months
-- are not all covered (indicators.md s.4 value notes).
with periods as (select * from {{ ref('int_reporting_periods') }}),
releases as (select * from {{ ref('int_releases') }}),

data_start as (
    select {{ dbt.date_trunc('quarter', 'min(prison_exit_date)') }} as earliest_data_date
    from releases
),

final as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        {{ fingertips_period_label('p.period_type', 'p.period_start', 'p.period_end') }} as period_label,
        cast(extract(year from p.period_start) * 10000 + extract(month from p.period_start) * 100
             + extract(day from p.period_start) as {{ dbt.type_int() }}) as period_sort_key,
        cast(d.earliest_data_date as date) as earliest_data_date,
        coalesce(p.period_start < cast(d.earliest_data_date as date), false) as is_partial_period
    from periods as p
    cross join data_start as d
)

select * from final
