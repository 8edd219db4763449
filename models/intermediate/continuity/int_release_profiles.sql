-- The attributes each release is broken down by (marts.md continuity_releases; indicators.md
-- s.3-4): geography from the seeds, age band, labelled sex/gender/disability, ONS 5 ethnic
-- group, IMD quintile (ceil(decile / 2)), substance group and custody length band.
{{ year_partitioned() }}

with releases as (
    select * from {{ ref('int_releases') }} as r
    where {{ in_touched_years('r.prison_exit_date') }}
),

local_authorities as (select * from {{ ref('local_authorities') }}),
ethnic_groups as (select * from {{ ref('ethnic_groups') }}),
imd as (select * from {{ ref('stg_reference__imd') }}),
substances as (select * from {{ ref('substances') }}),
code_labels as (select * from {{ ref('code_labels') }}),

final as (
    select
        r.release_id,
        r.attributor_key,
        r.agency_code,
        r.estab_code,
        r.exit_la_code,
        la.region_code,
        la.la_code is not null as exit_la_in_reference,
        r.prison_exit_date,
        r.reception_date,
        {{ financial_year_label('r.prison_exit_date') }} as financial_year,
        r.age_at_exit,
        {{ age_band('r.age_at_exit') }} as age_band,
        coalesce(sex.label, 'Not stated') as sex,
        coalesce(gender.label, 'Not stated') as gender,
        coalesce(disability.label, 'Not stated') as disability,
        coalesce(eg.ons_group, 'Not stated') as ethnic_group,
        cast(ceil(imd.imd_decile / 2.0) as integer) as imd_quintile,
        {{ substance_group('s1.substance_group', 's2.substance_group', 's3.substance_group') }} as substance_group,
        case
            when r.prison_exit_date < {{ add_to_date('month', var('custody_short_months'), 'r.reception_date') }}
                then 'under_3_months'
            when r.prison_exit_date <= {{ add_to_date('month', var('custody_long_months'), 'r.reception_date') }}
                then '3_to_12_months'
            else 'over_12_months'
        end as custody_length_band,
        coalesce(r.had_inreach, false) as inreach
    from releases as r
    left join local_authorities as la on r.exit_la_code = la.la_code
    left join code_labels as sex on sex.field = 'SEX' and r.sex_code = sex.code
    left join code_labels as gender on gender.field = 'GENDER' and r.gender_code = gender.code
    left join code_labels as disability on disability.field = 'DISABLE' and r.disability_code = disability.code
    left join ethnic_groups as eg on r.ethnic_code = eg.ethnic_code
    left join imd on r.lsoa_code = imd.lsoa_code
    left join substances as s1 on r.drug1_code = s1.substance_code
    left join substances as s2 on r.drug2_code = s2.substance_code
    left join substances as s3 on r.drug3_code = s3.substance_code
)

select * from final
