-- Substance misuse treatment within 3 weeks (indicators.md s.5): for SMNEED = Y only (N or
-- blank: not_applicable), a structured NDTMS community start (the C20 rule, linked on the
-- attributors) with MODST in RELDT..RELDT+21; pending until RELDT+21 has passed (pending
-- wins even when a start is already recorded).
with cohort as (select * from {{ ref('int_er_cohort') }}),
starts as (select * from {{ ref('int_structured_starts') }}),

started as (
    select distinct c.crn
    from cohort as c
    inner join starts as s
        on s.attributor_key = c.attributor_key
       and s.start_date >= c.release_date
       and s.start_date <= c.treatment_window_end
),

final as (
    select
        c.crn,
        case
            when c.substance_misuse_need_code is null or c.substance_misuse_need_code <> 'Y' then 'not_applicable'
            when {{ er_window_open('c.treatment_window_end') }} then 'pending'
            when s.crn is not null then 'achieved'
            else 'not_achieved'
        end as status
    from cohort as c
    left join started as s on c.crn = s.crn
)

select * from final
