-- The 21-day decision for each release (indicators.md s.1). Engaged: a structured start by
-- the same attributors at any English provider with 0 <= MODST - PRISEXDT <= window days.
-- Pending: the window has not closed by the latest NDTMS extract date (PRISEXDT + window >
-- latest date) - pending wins even when a start is already recorded. The match is an
-- equi-join on the attributor key with a date-range condition.
{{ year_partitioned() }}

with releases as (
    select * from {{ ref('int_releases') }} as r
    where {{ in_touched_years('r.prison_exit_date') }}
),

starts as (
    select * from {{ ref('int_structured_starts') }}
),

extract_dates as (
    select * from {{ ref('int_extract_dates') }}
),

first_start_in_window as (
    select
        r.release_id,
        min(s.start_date) as first_structured_start_date,
        count(distinct s.intervention_id) as structured_starts_in_window
    from releases as r
    inner join starts as s
        on s.attributor_key = r.attributor_key
       and {{ within_window('s.start_date', 'r.prison_exit_date') }}
    group by r.release_id
),

decided as (
    select
        r.release_id,
        r.prison_exit_date,
        {{ add_to_date('day', var('engagement_window_days'), 'r.prison_exit_date') }} as window_end_date,
        f.first_structured_start_date,
        coalesce(f.structured_starts_in_window, 0) as structured_starts_in_window,
        d.latest_ndtms_extract_date
    from releases as r
    left join first_start_in_window as f on r.release_id = f.release_id
    cross join extract_dates as d
),

final as (
    select
        release_id,
        prison_exit_date,
        window_end_date,
        case
            when latest_ndtms_extract_date is null or window_end_date > latest_ndtms_extract_date then 'pending'
            when first_structured_start_date is not null then 'engaged'
            else 'not_engaged'
        end as status,
        case
            when latest_ndtms_extract_date is not null and window_end_date <= latest_ndtms_extract_date
                then {{ dbt.datediff('prison_exit_date', 'first_structured_start_date', 'day') }}
        end as days_to_engagement,
        structured_starts_in_window
    from decided
)

select * from final
