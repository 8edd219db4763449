-- One row per release in the PHOF 2.16 / C20 denominator, with its 21-day decision and the
-- attributes it is broken down by. Pseudonymous: person_key, never attributors.
with profiles as (
    select * from {{ ref('int_release_profiles') }}
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

final as (
    select
        p.release_id,
        {{ person_key('p.attributor_key') }} as person_key,
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
