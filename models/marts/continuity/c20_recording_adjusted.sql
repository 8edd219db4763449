-- C20 if the records were right (issue 38; docs/methodology.md section 13): for each financial
-- year, C20 as published in phof_c20 for England, each region and each local authority, the
-- rate if every recording problem a fix would engage were fixed, the difference in points and
-- the problems behind it by type; and per local authority and provider, the rate if that
-- provider's problems were fixed. The rules are in int_release_recording_fixes and
-- int_c20_recording_adjusted. Partner tier (provider rows name providers); the rows of every
-- provider (provider_role all) are open.
{% set engaging_types = recording_fix_types() %}
with adjusted as (
    select * from {{ ref('int_c20_recording_adjusted') }}
),

final as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        geography_name,
        parent_region_code,
        provider_role,
        provider,
        denominator,
        numerator,
        value_pct,
        releases_fix_would_engage,
        adjusted_numerator,
        adjusted_value_pct,
        difference_pct_points,
        {% for t in engaging_types %}
        {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from adjusted
)

select * from final
