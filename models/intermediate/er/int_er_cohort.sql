-- The Enhanced RECONNECT cohort (indicators.md s.5): probation cases with a priority group
-- and an accepted referral (ERACCDT) at a pilot site of the er_sites table, with the dates
-- their outcome windows close.
with cases as (select * from {{ ref('stg_ndelius__cases') }}),
sites as (select * from {{ ref('er_sites') }}),
extract_dates as (select * from {{ ref('int_extract_dates') }}),

final as (
    select
        c.crn,
        c.attributor_key,
        c.er_site_code as site,
        s.delivery_model,
        c.er_priority_group as priority_group,
        c.er_referral_date,
        c.er_accepted_date,
        c.release_date,
        c.substance_misuse_need_code,
        c.utla_code,
        c.lsoa_code,
        c.date_of_birth,
        c.sex_code,
        c.gender_code,
        c.ethnic_code,
        c.disability_code,
        {{ add_to_date('month', var('er_outcome_months'), 'c.release_date') }} as outcome_window_end,
        {{ add_to_date('month', var('er_engaged_from_months'), 'c.release_date') }} as engagement_window_start,
        {{ add_to_date('day', var('er_treatment_window_days'), 'c.release_date') }} as treatment_window_end,
        d.latest_extract_date
    from cases as c
    inner join sites as s on c.er_site_code = s.er_site_code
    cross join extract_dates as d
    where c.er_priority_group is not null
      and c.er_accepted_date is not null
)

select * from final
