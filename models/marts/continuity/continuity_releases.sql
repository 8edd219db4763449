-- One row per release in the PHOF 2.16 / C20 denominator, with its 21-day decision and the
-- attributes it is broken down by. Pseudonymous: person_key, never attributors.
{{ year_partitioned() }}

with releases as (
    select * from {{ ref('int_release_outcomes') }} as r
    where {{ in_touched_years('r.prison_exit_date') }}
),

final as (
    select
        release_id,
        {{ person_key('attributor_key') }} as person_key,
        estab_code,
        exit_la_code,
        region_code,
        prison_exit_date,
        financial_year,
        status,
        days_to_engagement,
        age_band,
        sex,
        gender,
        disability,
        ethnic_group,
        imd_quintile,
        substance_group,
        custody_length_band,
        inreach
    from releases
)

select * from final
