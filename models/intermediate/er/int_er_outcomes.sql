-- One row per accepted Enhanced RECONNECT individual (indicators.md s.5) with every outcome
-- and its status (achieved, not_achieved, pending, not_known, not_applicable), and the
-- attributes the PRP breakdowns use (int_inequality_observations reads it). Still keyed by
-- the attributors: marts.er_outcomes replaces them with the pseudonymous person_key.
with cohort as (select * from {{ ref('int_er_cohort') }}),
appointments as (select * from {{ ref('int_er_first_appointments') }}),
treatment as (select * from {{ ref('int_er_treatment_starts') }}),
engagement as (select * from {{ ref('int_er_engagement_12_months') }}),
successful as (select * from {{ ref('int_er_successful_outcomes') }}),
oasys as (select * from {{ ref('int_er_oasys_changes') }}),
wellbeing as (select * from {{ ref('int_er_wellbeing_changes') }}),
taim as (select * from {{ ref('int_er_taim_meetings') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),
ethnic_groups as (select * from {{ ref('ethnic_groups') }}),
imd as (select * from {{ ref('stg_reference__imd') }}),
code_labels as (select * from {{ ref('code_labels') }}),

final as (
    select
        c.attributor_key,
        c.site,
        c.delivery_model,
        c.priority_group,
        c.release_date is not null as released,
        {{ financial_year_label('c.release_date') }} as release_financial_year,
        {{ age_band(age_in_years('c.date_of_birth', 'coalesce(c.release_date, c.er_accepted_date)')) }} as age_band,
        coalesce(sex.label, 'Not stated') as sex,
        coalesce(gender.label, 'Not stated') as gender,
        coalesce(disability.label, 'Not stated') as disability,
        la.region_code,
        coalesce(eg.ons_group, 'Not stated') as ethnic_group,
        cast(ceil(imd.imd_decile / 2.0) as integer) as imd_quintile,
        a.status as first_healthcare_appointment_status,
        a.days_to_first_appointment as days_to_first_healthcare_appointment,
        t.status as treatment_within_3_weeks_status,
        e.status as engaged_at_12_months_status,
        s.status as successful_outcome_status,
        o.status as oasys_risk_reduction_status,
        o.ogrs3_before,
        o.ogrs3_after,
        w.status as wellbeing_improved_status,
        w.wemwbs_change,
        tm.status as taim_status,
        tm.taim_meetings,
        tm.days_to_first_taim
    from cohort as c
    inner join appointments as a on c.crn = a.crn
    inner join treatment as t on c.crn = t.crn
    inner join engagement as e on c.crn = e.crn
    inner join successful as s on c.crn = s.crn
    inner join oasys as o on c.crn = o.crn
    inner join wellbeing as w on c.crn = w.crn
    inner join taim as tm on c.crn = tm.crn
    left join local_authorities as la on c.utla_code = la.la_code
    left join ethnic_groups as eg on c.ethnic_code = eg.ethnic_code
    left join imd on c.lsoa_code = imd.lsoa_code
    left join code_labels as sex on sex.field = 'SEX' and c.sex_code = sex.code
    left join code_labels as gender on gender.field = 'GENDER' and c.gender_code = gender.code
    left join code_labels as disability on disability.field = 'DISABLE' and c.disability_code = disability.code
)

select * from final
