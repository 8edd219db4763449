-- The audit attrition funnel (indicators.md s.3) for every period, for England, each local
-- authority (of the reference table) and each prison, overall and split by in-reach,
-- substance group and length of custody: releases transferred -> referral received ->
-- appointment offered -> engaged -> not engaged. Judged releases only (pending excluded).
-- A funnel never grows: each step counts the releases that reached it or any later step;
-- beside it, the recording gap counts those that reached it without the step recorded.
with steps as (select * from {{ ref('int_release_funnel_steps') }}),
periods as (select * from {{ ref('int_reporting_periods') }}),

release_splits as (
    select release_id, 'all' as split_type, 'all' as split_value from steps
    union all
    select release_id, 'inreach', case when inreach then 'inreach' else 'no_inreach' end from steps
    union all
    select release_id, 'substance_group', coalesce(substance_group, 'unknown') from steps
    union all
    select release_id, 'custody_length', custody_length_band from steps
),

release_geographies as (
    select release_id, 'england' as geography_type, '{{ var("england_code") }}' as geography_code from steps
    union all
    select release_id, 'local_authority', exit_la_code from steps where region_code is not null
    union all
    select release_id, 'prison', estab_code from steps
),

counted as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        g.geography_type,
        g.geography_code,
        s.split_type,
        s.split_value,
        count(*) as transferred,
        cast(sum(case when st.referral_received then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_received,
        cast(sum(case when st.appointment_offered then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_offered,
        cast(sum(case when st.engaged then 1 else 0 end) as {{ dbt.type_bigint() }}) as engaged,
        cast(sum(case when st.referral_received and not st.referral_recorded then 1 else 0 end) as {{ dbt.type_bigint() }}) as referral_recording_gap,
        cast(sum(case when st.appointment_offered and not st.appointment_recorded then 1 else 0 end) as {{ dbt.type_bigint() }}) as appointment_recording_gap
    from steps as st
    inner join periods as p
        on st.prison_exit_date >= p.period_start and st.prison_exit_date <= p.period_end
    inner join release_geographies as g on st.release_id = g.release_id
    inner join release_splits as s on st.release_id = s.release_id
    group by p.period_type, p.period_start, p.period_end, g.geography_type, g.geography_code,
             s.split_type, s.split_value
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
