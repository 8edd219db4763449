-- Time to treatment, the event and the follow-up (docs/methodology.md section 12): for every
-- release of int_releases (judged or pending), its first structured community start on or
-- after PRISEXDT - C20's match (indicators.md s.1: the same attributors, any English provider,
-- a structured intervention with a MODST) without the 21-day limit - and how long it is
-- followed: to the latest NDTMS extract date, and at most var('time_to_treatment_horizon_days')
-- days. A start after the end of follow-up is not seen (the release is censored there).
-- observed_days: days from release to the start when started, else to the end of follow-up.
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

followed as (
    select
        r.release_id,
        r.attributor_key,
        r.prison_exit_date,
        least(
            d.latest_ndtms_extract_date,
            {{ add_to_date('day', var('time_to_treatment_horizon_days'), 'r.prison_exit_date') }}
        ) as follow_up_end_date
    from releases as r
    cross join extract_dates as d
),

first_starts as (
    select
        f.release_id,
        min(s.start_date) as first_start_date
    from followed as f
    inner join starts as s
        on s.attributor_key = f.attributor_key
       and s.start_date >= f.prison_exit_date
       and s.start_date <= f.follow_up_end_date
    group by f.release_id
),

final as (
    select
        f.release_id,
        f.prison_exit_date,
        f.follow_up_end_date,
        s.first_start_date,
        s.first_start_date is not null as has_started,
        {{ dbt.datediff('f.prison_exit_date', 'coalesce(s.first_start_date, f.follow_up_end_date)', 'day') }}
            as observed_days
    from followed as f
    left join first_starts as s on f.release_id = s.release_id
)

select * from final
