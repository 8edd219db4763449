-- One row per release in the PHOF 2.16 / C20 denominator (indicators.md s.1), whatever its
-- period: a secure episode discharged "transferred - not in custody", released (PRISEXRSN),
-- with an exit date, an adult on that date, to an English local authority. A release is one
-- (person, PRISEXDT): two qualifying episodes of the same person on the same day are one
-- release, represented by the lowest episode id.
with transfers as (
    select * from {{ ref('int_secure_transfers') }}
),

qualifying as (
    select
        e.*,
        {{ age_in_years('e.date_of_birth', 'e.prison_exit_date') }} as age_at_exit
    from transfers as e
    where e.prison_exit_reason_code = '{{ var("release_exit_reason") }}'
      and e.prison_exit_date is not null
      and e.exit_la_code like '{{ var("english_la_prefix") }}%'
),

adults as (
    select * from qualifying
    where age_at_exit >= {{ var('adult_age') }}
),

one_per_person_day as (
    select * from (
        select
            adults.*,
            row_number() over (
                partition by attributor_key, prison_exit_date order by episode_id
            ) as episode_rank
        from adults
    ) as ranked
    where episode_rank = 1
),

final as (
    select
        episode_id as release_id,
        attributor_key,
        first_initial,
        surname_initial,
        date_of_birth,
        agency_code,
        estab_code,
        exit_la_code,
        lsoa_code,
        reception_date,
        prison_exit_date,
        age_at_exit,
        sex_code,
        gender_code,
        ethnic_code,
        disability_code,
        drug1_code,
        drug2_code,
        drug3_code,
        had_inreach
    from one_per_person_day
)

select * from final
