-- The periods C20 is reported for (indicators.md s.1): every financial year (1 April - 31
-- March) holding a release, and the rolling 12 months ending at each quarter end holding a
-- release. Periods are closed date ranges.
with releases as (
    select * from {{ ref('int_releases') }}
),

financial_years as (
    select distinct
        'financial_year' as period_type,
        {{ financial_year_start('prison_exit_date') }} as period_start
    from releases
),

quarter_ends as (
    select distinct {{ quarter_end('prison_exit_date') }} as period_end
    from releases
),

final as (
    select
        period_type,
        period_start,
        {{ add_to_date('day', -1, dbt.dateadd('month', 12, 'period_start')) }} as period_end
    from financial_years
    union all
    select
        'rolling_12m' as period_type,
        {{ add_to_date('day', 1, dbt.dateadd('month', -12, 'period_end')) }} as period_start,
        period_end
    from quarter_ends
)

select * from final
