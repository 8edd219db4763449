-- Team Around the Individual meetings (indicators.md s.5; source 000 App. C): TAIM contacts
-- on or after ERACCDT, attended or not, and days from ERACCDT to the first; achieved if at
-- least one.
with cohort as (select * from {{ ref('int_er_cohort') }}),
contacts as (select * from {{ ref('stg_er__contacts') }}),

meetings as (
    select c.crn, count(*) as taim_meetings, min(k.contact_date) as first_taim_date
    from cohort as c
    inner join contacts as k on k.crn = c.crn
    where k.contact_type = '{{ var("er_taim_contact_type") }}'
      and k.contact_date >= c.er_accepted_date
    group by c.crn
),

final as (
    select
        c.crn,
        coalesce(m.taim_meetings, 0) as taim_meetings,
        {{ dbt.datediff('c.er_accepted_date', 'm.first_taim_date', 'day') }} as days_to_first_taim,
        case when m.crn is not null then 'achieved' else 'not_achieved' end as status
    from cohort as c
    left join meetings as m on c.crn = m.crn
)

select * from final
