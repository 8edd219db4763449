-- Wellbeing improved (indicators.md s.5): the first WEMWBS score on or after ERACCDT against
-- the latest; achieved if the latest is at least var('er_wellbeing_improvement') points
-- higher; not_achieved otherwise; not_known with fewer than two scores.
with cohort as (select * from {{ ref('int_er_cohort') }}),
contacts as (select * from {{ ref('stg_er__contacts') }}),

scores as (
    select
        c.crn,
        k.wemwbs_score,
        row_number() over (partition by c.crn order by k.contact_date, k.contact_id) as first_rank,
        row_number() over (partition by c.crn order by k.contact_date desc, k.contact_id desc) as last_rank,
        count(*) over (partition by c.crn) as scores
    from cohort as c
    inner join contacts as k on k.crn = c.crn
    where k.wemwbs_score is not null
      and k.contact_date >= c.er_accepted_date
),

first_last as (
    select
        crn,
        max(scores) as scores,
        max(case when first_rank = 1 then wemwbs_score end) as first_score,
        max(case when last_rank = 1 then wemwbs_score end) as latest_score
    from scores
    group by crn
),

final as (
    select
        c.crn,
        coalesce(f.scores, 0) as wemwbs_scores,
        f.first_score as wemwbs_first,
        f.latest_score as wemwbs_latest,
        case when f.scores >= 2 then f.latest_score - f.first_score end as wemwbs_change,
        case
            when coalesce(f.scores, 0) < 2 then 'not_known'
            when f.latest_score - f.first_score >= {{ var('er_wellbeing_improvement') }} then 'achieved'
            else 'not_achieved'
        end as status
    from cohort as c
    left join first_last as f on c.crn = f.crn
)

select * from final
