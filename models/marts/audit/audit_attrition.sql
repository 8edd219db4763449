-- The audit attrition funnel (indicators.md s.3) for every period, for England, each local
-- authority (of the reference table) and each prison, overall and split by in-reach,
-- substance group and length of custody: releases transferred -> referral received ->
-- appointment offered -> engaged -> not engaged. Judged releases only (pending excluded).
-- A funnel never grows: each step counts the releases that reached it or any later step;
-- beside it, the recording gap counts those that reached it without the step recorded.
with steps as (select * from {{ ref('int_release_funnel_steps') }}),
periods as (select * from {{ ref('int_reporting_periods') }}),

-- Each judged release counted once per period it falls in; every geography and split is an
-- aggregation of these rows (no join per geography and split).
released as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        case when st.region_code is not null then st.exit_la_code end as la_code,
        st.estab_code,
        case when st.inreach then 'inreach' else 'no_inreach' end as inreach_value,
        coalesce(st.substance_group, 'unknown') as substance_value,
        st.custody_length_band as custody_value,
        st.referral_received,
        st.appointment_offered,
        st.engaged,
        st.referral_received and not st.referral_recorded as referral_gap,
        st.appointment_offered and not st.appointment_recorded as appointment_gap
    from steps as st
    inner join periods as p
        on st.prison_exit_date >= p.period_start and st.prison_exit_date <= p.period_end
),

{#- every geography (England, local authority, prison) by every split (all, in-reach,
    substance group, length of custody): one aggregation of the released rows each #}
{%- set geographies = [('england', "'" ~ var('england_code') ~ "'"), ('local_authority', 'la_code'),
                       ('prison', 'estab_code')] %}
{%- set splits = [('all', "'all'"), ('inreach', 'inreach_value'), ('substance_group', 'substance_value'),
                  ('custody_length', 'custody_value')] %}
counted as (
    {%- for geography_type, geography_code in geographies %}
    {%- set outer_loop = loop %}
    {%- for split_type, split_value in splits %}
    select
        period_type,
        period_start,
        period_end,
        '{{ geography_type }}' as geography_type,
        {{ geography_code }} as geography_code,
        '{{ split_type }}' as split_type,
        {{ split_value }} as split_value,
        count(*) as transferred,
        cast(sum(case when referral_received then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_received,
        cast(sum(case when appointment_offered then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_offered,
        cast(sum(case when engaged then 1 else 0 end) as {{ dbt.type_bigint() }}) as engaged,
        cast(sum(case when referral_gap then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_recording_gap,
        cast(sum(case when appointment_gap then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_recording_gap
    from released
    {%- if geography_type == 'local_authority' %}
    -- releases to an area outside the reference table count for England and their prison only
    where la_code is not null
    {%- endif %}
    group by period_type, period_start, period_end{{ ', ' ~ geography_code if geography_type != 'england' }}
        {{- ', ' ~ split_value if split_type != 'all' }}
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

final as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        split_type,
        split_value,
        transferred,
        referral_received,
        appointment_offered,
        engaged,
        transferred - engaged as not_engaged,
        {{ pct('engaged', 'transferred') }} as engaged_pct,
        referral_recording_gap,
        appointment_recording_gap
    from counted
)

select * from final
