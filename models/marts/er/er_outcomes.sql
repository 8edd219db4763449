-- One row per accepted Enhanced RECONNECT individual (indicators.md s.5) with every outcome
-- and its status (achieved, not_achieved, pending, not_known, not_applicable), and the
-- attributes the PRP breakdowns use. Pseudonymous: person_key, no CRN or attributors.
with outcomes as (select * from {{ ref('int_er_outcomes') }}),

final as (
    select
        {{ person_key('attributor_key') }} as person_key,
        site,
        delivery_model,
        priority_group,
        released,
        release_financial_year,
        age_band,
        sex,
        gender,
        disability,
        region_code,
        ethnic_group,
        imd_quintile,
        first_healthcare_appointment_status,
        days_to_first_healthcare_appointment,
        treatment_within_3_weeks_status,
        engaged_at_12_months_status,
        successful_outcome_status,
        oasys_risk_reduction_status,
        ogrs3_before,
        ogrs3_after,
        wellbeing_improved_status,
        wemwbs_change,
        taim_status,
        taim_meetings,
        days_to_first_taim
    from outcomes
)

select * from final
