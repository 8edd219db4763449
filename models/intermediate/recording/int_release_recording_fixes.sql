-- The releases a recording fix would engage (docs/methodology.md section 13): one row per
-- judged, not-engaged release and provider with at least one recording problem whose fix
-- would move the release into the C20 numerator (fix_would_engage), with how many such
-- problems of each type the provider has on the release. A release with two such problems
-- is still one release (one row per provider; int_c20_recording_adjusted counts releases).
-- Only the types of recording_fix_types() can set fix_would_engage (a data test on
-- int_recording_issues says so).
{% set engaging_types = recording_fix_types() %}
with issues as (
    select * from {{ ref('int_recording_issues') }}
    where fix_would_engage and release_id is not null
),

engagement as (
    select * from {{ ref('int_release_engagement') }}
),

final as (
    select
        i.release_id,
        i.provider_role,
        i.provider,
        {% for issue_type in engaging_types %}
        cast(sum(case when i.issue_type = '{{ issue_type }}' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as {{ issue_type }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from issues as i
    inner join engagement as e on i.release_id = e.release_id
    where e.status = 'not_engaged'
    group by i.release_id, i.provider_role, i.provider
)

select * from final
