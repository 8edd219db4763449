-- One row per person-outcome observation for the PRP breakdowns (indicators.md s.4): each
-- outcome of var('inequality_outcomes') with its 0/1 value and the breakdown variables as
-- text categories (missing -> Not stated / Unknown). Releases not yet judged are left out.
with regions as (select * from {{ ref('regions') }}),

{% for outcome in var('inequality_outcomes') %}
{{ outcome.name }} as (
    select
        '{{ outcome.name }}' as outcome,
        {{ outcome.value }} as outcome_value,
        age_band, sex, gender, disability, region_code, ethnic_group, imd_quintile
    from {{ ref(outcome.model) }}
),
{% endfor %}

observations as (
    {% for outcome in var('inequality_outcomes') %}
    select * from {{ outcome.name }} where outcome_value is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        o.outcome,
        o.outcome_value,
        'All' as total,
        coalesce(o.age_band, 'Unknown') as age_band,
        o.sex,
        o.gender,
        o.disability,
        coalesce(r.region_name, 'Unknown') as region,
        o.ethnic_group,
        coalesce({{ as_text('o.imd_quintile') }}, 'Unknown') as imd_quintile
    from observations as o
    left join regions as r on o.region_code = r.region_code
)

select * from final
