-- The successful outcome (indicators.md s.5; source 000 research priorities): the first
-- attended healthcare appointment had its need met (NEEDMET = Y, read from that appointment
-- only; blank is not Y) OR engaged at 12 months. A 12-month outcome: pending until 12 months
-- after release, whatever happened earlier.
with cohort as (select * from {{ ref('int_er_cohort') }}),
appointments as (select * from {{ ref('int_er_first_appointments') }}),
engagement as (select * from {{ ref('int_er_engagement_12_months') }}),

final as (
    select
        c.crn,
        case
            when {{ er_window_open('c.outcome_window_end') }} then 'pending'
            when a.first_appointment_need_met or e.status = 'achieved' then 'achieved'
            else 'not_achieved'
        end as status
    from cohort as c
    inner join appointments as a on c.crn = a.crn
    inner join engagement as e on c.crn = e.crn
)

select * from final
