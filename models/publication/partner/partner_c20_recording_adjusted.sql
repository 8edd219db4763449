-- marts.c20_recording_adjusted as the partner tier publishes it (issue 38; indicators.md s.4):
-- C20 beside the rate if every recording problem a fix would engage were fixed, for England,
-- regions, local authorities and each local authority's providers. The denominator and
-- numerator are phof_c20's and hidden with them; the releases a fix would engage and the
-- problems behind them are hidden as disclosure_suppression decided; the adjusted rate and
-- the difference are the mart's own, shown only where the counts they come from are shown.
-- The open tier has the rows that name no provider (open_c20_recording_adjusted).
{% set rounded = disclosure_is_rounded() %}
{% set counts = ['denominator', 'numerator', 'releases_fix_would_engage', 'attributor_mismatch_problems',
                 'exit_date_after_triage_problems'] %}
with adjusted as (
    select * from {{ ref('c20_recording_adjusted') }}
),

decisions as (
    {{ disclosure_reasons('c20_recording_adjusted', counts) }}
),

decided as (
    select
        a.*,
        a.geography_type = 'england' and a.provider_role = 'all' as is_national,
        {% for count in counts %}coalesce(d.{{ count }}_reason, 'shown') as {{ count }}_reason{{ ',' if not loop.last }}{% endfor %}
    from adjusted as a
    left join decisions as d
        on d.row_key = {{ disclosure_key(['a.period_start', 'a.period_end', 'a.geography_type', 'a.geography_code',
                                          'a.provider_role', 'a.provider']) }}
),

shown as (
    select
        decided.*,
        denominator_reason = 'shown' and numerator_reason = 'shown' as value_shown,
        denominator_reason = 'shown' and numerator_reason = 'shown'
            and releases_fix_would_engage_reason = 'shown' {%- if rounded %} and is_national{% endif %} as adjusted_shown
    from decided
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
        {% for count in counts %}
        {% if count == 'releases_fix_would_engage' %}
        case when value_shown then value_pct end as value_pct,
        {% endif %}
        {{ disclosure_count(count, count ~ '_reason', 'is_national') }} as {{ count }},
        {% endfor %}
        case when adjusted_shown then adjusted_numerator end as adjusted_numerator,
        case when adjusted_shown then adjusted_value_pct end as adjusted_value_pct,
        case when adjusted_shown then difference_pct_points end as difference_pct_points,
        {{ disclosure_note('denominator', 'numerator',
            ['releases_fix_would_engage', 'attributor_mismatch_problems', 'exit_date_after_triage_problems'],
            status="case when denominator = 0 then " ~ value_note('no_releases') ~ " end",
            extra=(["case when not is_national then " ~ value_note('rounded') ~ " end"] if rounded else [])) }}
            as value_note
    from shown
)

select * from final
