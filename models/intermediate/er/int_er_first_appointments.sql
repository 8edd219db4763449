-- First community healthcare appointment (indicators.md s.5; source 000 App. D): the first
-- attended HLTH, MH or SMT contact on or after RELDT (release day counts; missed ones are
-- skipped). Achieved if one exists within 12 months (days to it reported); pending while
-- none exists and the 12 months are not over; not_achieved after. Its NEEDMET feeds the
-- successful outcome.
with cohort as (select * from {{ ref('int_er_cohort') }}),
contacts as (select * from {{ ref('stg_er__contacts') }}),

attended as (
    select * from (
        select
            c.crn,
            k.contact_date,
            k.need_met_code,
            row_number() over (partition by c.crn order by k.contact_date, k.contact_id) as appointment_rank
        from cohort as c
        inner join contacts as k on k.crn = c.crn
        where k.attended
          and k.contact_type in {{ in_list(var('er_healthcare_contact_types')) }}
          and k.contact_date >= c.release_date
          and k.contact_date <= c.outcome_window_end
    ) as ranked
    where appointment_rank = 1
),

final as (
    select
        c.crn,
        a.contact_date as first_appointment_date,
        {{ dbt.datediff('c.release_date', 'a.contact_date', 'day') }} as days_to_first_appointment,
        coalesce(a.need_met_code = 'Y', false) as first_appointment_need_met,
        case
            when a.crn is not null then 'achieved'
            when {{ er_window_open('c.outcome_window_end') }} then 'pending'
            else 'not_achieved'
        end as status
    from cohort as c
    left join attended as a on c.crn = a.crn
)

select * from final
