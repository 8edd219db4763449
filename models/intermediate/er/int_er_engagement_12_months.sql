-- Engaged at 12 months (indicators.md s.5): an attended ERC, HLTH, MH or SMT contact after
-- RELDT + 9 months and no later than RELDT + 12 months; pending until the 12 months are over.
with cohort as (select * from {{ ref('int_er_cohort') }}),
contacts as (select * from {{ ref('stg_er__contacts') }}),

engaged as (
    select distinct c.crn
    from cohort as c
    inner join contacts as k on k.crn = c.crn
    where k.attended
      and k.contact_type in {{ in_list(var('er_engagement_contact_types')) }}
      and k.contact_date > c.engagement_window_start
      and k.contact_date <= c.outcome_window_end
),

final as (
    select
        c.crn,
        case
            when {{ er_window_open('c.outcome_window_end') }} then 'pending'
            when e.crn is not null then 'achieved'
            else 'not_achieved'
        end as status
    from cohort as c
    left join engaged as e on c.crn = e.crn
)

select * from final
