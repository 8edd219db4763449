-- OASys risk reduction (indicators.md s.5; source 000 App. D): the latest assessment strictly
-- before RELDT against the latest in RELDT..RELDT+12 months. Achieved if at least one of
-- OGRS3, OVP, RSR and RoSH (L < M < H < VH, var rosh_order) is lower and none is higher;
-- not_achieved otherwise; not_known if either assessment is missing; pending until 12 months
-- after release. A measure missing from either assessment is not compared.
with cohort as (select * from {{ ref('int_er_cohort') }}),
assessments as (
    select
        a.*,
        case a.rosh_code
        {%- for code, rank in var('rosh_order').items() %}
            when '{{ code }}' then {{ rank }}
        {%- endfor %}
        end as rosh_rank
    from {{ ref('stg_ndelius__oasys_assessments') }} as a
),

ranked as (
    select
        c.crn,
        case when a.assessment_date < c.release_date then 'before' else 'after' end as timing,
        a.ogrs3_pct, a.ovp_pct, a.rsr_pct, a.rosh_rank,
        row_number() over (
            partition by c.crn, case when a.assessment_date < c.release_date then 'before' else 'after' end
            order by a.assessment_date desc, a.assessment_id desc
        ) as recency
    from cohort as c
    inner join assessments as a on a.crn = c.crn
    where a.assessment_date < c.release_date
       or (a.assessment_date >= c.release_date and a.assessment_date <= c.outcome_window_end)
),

before_after as (
    select
        b.crn,
        {% set measures = ['ogrs3_pct', 'ovp_pct', 'rsr_pct', 'rosh_rank'] %}
        ({% for m in measures %}case when f.{{ m }} < b.{{ m }} then 1 else 0 end{% if not loop.last %} + {% endif %}{% endfor %}) as measures_lower,
        ({% for m in measures %}case when f.{{ m }} > b.{{ m }} then 1 else 0 end{% if not loop.last %} + {% endif %}{% endfor %}) as measures_higher,
        b.ogrs3_pct as ogrs3_before, f.ogrs3_pct as ogrs3_after
    from ranked as b
    inner join ranked as f on b.crn = f.crn and f.timing = 'after' and f.recency = 1
    where b.timing = 'before' and b.recency = 1
),

final as (
    select
        c.crn,
        ba.ogrs3_before,
        ba.ogrs3_after,
        ba.measures_lower,
        ba.measures_higher,
        case
            when {{ er_window_open('c.outcome_window_end') }} then 'pending'
            when ba.crn is null then 'not_known'
            when ba.measures_lower >= 1 and ba.measures_higher = 0 then 'achieved'
            else 'not_achieved'
        end as status
    from cohort as c
    left join before_after as ba on c.crn = ba.crn
)

select * from final
