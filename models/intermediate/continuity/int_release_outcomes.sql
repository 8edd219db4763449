-- Each release in scope (indicators.md s.1) with its 21-day decision and the attributes it
-- is broken down by: int_release_profiles joined to int_release_engagement, once, for the
-- mart (marts.continuity_releases, which pseudonymises the attributors) and for the PRP
-- breakdowns (int_inequality_observations).
{{ year_partitioned() }}

with profiles as (
    select * from {{ ref('int_release_profiles') }} as p
    where {{ in_touched_years('p.prison_exit_date') }}
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

final as (
    select
        p.release_id,
        p.attributor_key,
        p.estab_code,
        p.exit_la_code,
        p.region_code,
        p.prison_exit_date,
        p.financial_year,
        e.status,
        e.days_to_engagement,
        p.age_band,
        p.sex,
        p.gender,
        p.disability,
        p.ethnic_group,
        p.imd_quintile,
        p.substance_group,
        p.custody_length_band,
        p.inreach
    from profiles as p
    inner join engagement as e on p.release_id = e.release_id
)

select * from final
