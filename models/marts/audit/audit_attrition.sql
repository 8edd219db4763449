-- The audit attrition funnel (indicators.md s.3) for every period, for England, each local
-- authority (of the reference table) and each prison, overall and split by in-reach,
-- substance group and length of custody: releases transferred -> referral received ->
-- appointment offered -> engaged -> not engaged. Judged releases only (pending excluded).
-- A funnel never grows: each step counts the releases that reached it or any later step;
-- beside it, the recording gap counts those that reached it without the step recorded.
with steps as (select * from {{ ref('int_release_funnel_steps') }}),
periods as (select * from {{ ref('int_reporting_periods') }}),

-- Each judged release counted once per period it falls in; every geography and split is a
-- grouping set over these rows (one pass, not a join per geography and split).
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

{%- set geographies = [none, 'la_code', 'estab_code'] %}
{%- set splits = [none, 'inreach_value', 'substance_value', 'custody_value'] %}
counted as (
    select
        period_type,
        period_start,
        period_end,
        case
            when grouping(la_code) = 0 then 'local_authority'
            when grouping(estab_code) = 0 then 'prison'
            else 'england'
        end as geography_type,
        case
            when grouping(la_code) = 0 then la_code
            when grouping(estab_code) = 0 then estab_code
            else '{{ var("england_code") }}'
        end as geography_code,
        case
            when grouping(inreach_value) = 0 then 'inreach'
            when grouping(substance_value) = 0 then 'substance_group'
            when grouping(custody_value) = 0 then 'custody_length'
            else 'all'
        end as split_type,
        case
            when grouping(inreach_value) = 0 then inreach_value
            when grouping(substance_value) = 0 then substance_value
            when grouping(custody_value) = 0 then custody_value
            else 'all'
        end as split_value,
        grouping(la_code) = 0 and la_code is null as is_outside_the_reference,
        count(*) as transferred,
        cast(sum(case when referral_received then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_received,
        cast(sum(case when appointment_offered then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_offered,
        cast(sum(case when engaged then 1 else 0 end) as {{ dbt.type_bigint() }}) as engaged,
        cast(sum(case when referral_gap then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_recording_gap,
        cast(sum(case when appointment_gap then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_recording_gap
    from released
    group by grouping sets (
        {%- for geography in geographies %}
        {%- set outer_loop = loop %}
        {%- for split in splits %}
        ({{ (['period_type', 'period_start', 'period_end'] + ([geography] if geography else []) + ([split] if split else [])) | join(', ') }})
        {%- if not (outer_loop.last and loop.last) %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    )
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
    -- releases to an area outside the reference table count for England and their prison only
    where not is_outside_the_reference
)

select * from final
