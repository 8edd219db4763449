-- Enhanced RECONNECT outcomes by site (with its delivery model), priority group (1, 2, 3 and
-- 'all' for the whole site) and outcome (indicators.md s.5): n = achieved + not_achieved (pending, not_known and not_applicable in
-- their own columns, never in n), value and Wilson interval; plus the site's referrals
-- (ERREFDT set), accepted (ERACCDT set) and released (RELDT set) - referral volumes, not
-- starts, drive provider workload (source 002).
{% set outcomes = ['first_healthcare_appointment', 'treatment_within_3_weeks', 'engaged_at_12_months',
                   'successful_outcome', 'oasys_risk_reduction', 'wellbeing_improved', 'taim'] %}
with outcomes as (select * from {{ ref('er_outcomes') }}),
cases as (select * from {{ ref('stg_ndelius__cases') }}),
sites as (select * from {{ ref('er_sites') }}),

by_group as (
    {% for outcome in outcomes %}
    select site, delivery_model, priority_group, '{{ outcome }}' as outcome, {{ outcome }}_status as status
    from outcomes
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

long as (
    select * from by_group
    union all
    select site, delivery_model, 'all' as priority_group, outcome, status from by_group
),

counted as (
    select
        site,
        delivery_model,
        priority_group,
        outcome,
        cast(sum(case when status = 'achieved' then 1 else 0 end) as {{ dbt.type_bigint() }}) as achieved,
        cast(sum(case when status = 'not_achieved' then 1 else 0 end) as {{ dbt.type_bigint() }}) as not_achieved,
        cast(sum(case when status = 'pending' then 1 else 0 end) as {{ dbt.type_bigint() }}) as pending,
        cast(sum(case when status = 'not_known' then 1 else 0 end) as {{ dbt.type_bigint() }}) as not_known,
        cast(sum(case when status = 'not_applicable' then 1 else 0 end) as {{ dbt.type_bigint() }}) as not_applicable
    from long
    group by site, delivery_model, priority_group, outcome
),

site_volumes as (
    select
        s.er_site_code as site,
        cast(sum(case when c.er_referral_date is not null then 1 else 0 end) as {{ dbt.type_bigint() }}) as site_referrals,
        cast(sum(case when c.er_accepted_date is not null then 1 else 0 end) as {{ dbt.type_bigint() }}) as site_accepted,
        cast(sum(case when c.er_accepted_date is not null and c.release_date is not null then 1 else 0 end) as {{ dbt.type_bigint() }}) as site_released
    from sites as s
    left join cases as c on c.er_site_code = s.er_site_code
    group by s.er_site_code
),

final as (
    select
        c.site,
        c.delivery_model,
        c.priority_group,
        c.outcome,
        c.achieved + c.not_achieved as n,
        c.achieved,
        c.pending,
        c.not_known,
        c.not_applicable,
        {{ pct('c.achieved', 'c.achieved + c.not_achieved') }} as value_pct,
        {{ wilson_lower_pct('c.achieved', 'c.achieved + c.not_achieved') }} as lower_ci95_pct,
        {{ wilson_upper_pct('c.achieved', 'c.achieved + c.not_achieved') }} as upper_ci95_pct,
        v.site_referrals,
        v.site_accepted,
        v.site_released
    from counted as c
    inner join site_volumes as v on c.site = v.site
)

select * from final
