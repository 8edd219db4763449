-- C20 if the records were right (docs/methodology.md section 13): for every financial year,
-- England, each region and each local authority of int_c20_counts (the C20 rows as published),
-- the releases a recording fix would move into the numerator (int_release_recording_fixes:
-- judged, not engaged, with at least one problem a fix would engage, each release counted once
-- however many problems it has) and the rate with them; and, for each local authority, one
-- row per provider with such problems, with the rate if only that provider's were fixed.
-- provider_role 'all' (provider NULL) is the row of every provider's fixes.
{% set engaging_types = recording_fix_types() %}
with counts as (
    select * from {{ ref('int_c20_counts') }}
    where period_type = 'financial_year'
      and geography_type in ('england', 'region', 'local_authority')
),

profiles as (select * from {{ ref('int_release_profiles') }}),
engagement as (select * from {{ ref('int_release_engagement') }}),
fixes as (select * from {{ ref('int_release_recording_fixes') }}),

periods as (
    select * from {{ ref('int_reporting_periods') }}
    where period_type = 'financial_year'
),

not_engaged as (
    select
        p.period_type,
        p.period_start,
        r.release_id,
        r.exit_la_code,
        r.region_code
    from profiles as r
    inner join engagement as e on r.release_id = e.release_id
    inner join periods as p
        on r.prison_exit_date >= p.period_start and r.prison_exit_date <= p.period_end
    where e.status = 'not_engaged'
),

-- every provider's fixes of a release, the release once
release_fixes as (
    select
        release_id,
        {% for t in engaging_types %}
        sum({{ t }}_problems) as {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from fixes
    group by release_id
),

fixed_releases as (
    select n.*, {% for t in engaging_types %}f.{{ t }}_problems{{ ', ' if not loop.last }}{% endfor %}
    from not_engaged as n
    inner join release_fixes as f on n.release_id = f.release_id
),

fixed_geographies as (
    select period_type, period_start, 'england' as geography_type, '{{ var("england_code") }}' as geography_code,
           {% for t in engaging_types %}{{ t }}_problems{{ ', ' if not loop.last }}{% endfor %}
    from fixed_releases
    union all
    select period_type, period_start, 'region', region_code,
           {% for t in engaging_types %}{{ t }}_problems{{ ', ' if not loop.last }}{% endfor %}
    from fixed_releases where region_code is not null
    union all
    select period_type, period_start, 'local_authority', exit_la_code,
           {% for t in engaging_types %}{{ t }}_problems{{ ', ' if not loop.last }}{% endfor %}
    from fixed_releases where region_code is not null
),

all_providers as (
    select
        period_type,
        period_start,
        geography_type,
        geography_code,
        'all' as provider_role,
        cast(null as {{ dbt.type_string() }}) as provider,
        count(*) as releases_fix_would_engage,
        {% for t in engaging_types %}
        sum({{ t }}_problems) as {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from fixed_geographies
    group by period_type, period_start, geography_type, geography_code
),

-- each provider's fixes in a local authority (one row per release and provider)
by_provider as (
    select
        n.period_type,
        n.period_start,
        'local_authority' as geography_type,
        n.exit_la_code as geography_code,
        f.provider_role,
        f.provider,
        count(*) as releases_fix_would_engage,
        {% for t in engaging_types %}
        sum(f.{{ t }}_problems) as {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from not_engaged as n
    inner join fixes as f on n.release_id = f.release_id
    where n.region_code is not null
    group by n.period_type, n.period_start, n.exit_la_code, f.provider_role, f.provider
),

rows_with_fixes as (
    select
        c.period_type, c.period_start, c.period_end, c.geography_type, c.geography_code,
        c.geography_name, c.parent_region_code, c.denominator, c.numerator, c.value_pct,
        'all' as provider_role,
        cast(null as {{ dbt.type_string() }}) as provider,
        coalesce(a.releases_fix_would_engage, 0) as releases_fix_would_engage,
        {% for t in engaging_types %}
        coalesce(a.{{ t }}_problems, 0) as {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from counts as c
    left join all_providers as a
        on c.period_type = a.period_type and c.period_start = a.period_start
       and c.geography_type = a.geography_type and c.geography_code = a.geography_code
    union all
    select
        c.period_type, c.period_start, c.period_end, c.geography_type, c.geography_code,
        c.geography_name, c.parent_region_code, c.denominator, c.numerator, c.value_pct,
        b.provider_role,
        b.provider,
        b.releases_fix_would_engage,
        {% for t in engaging_types %}
        b.{{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from counts as c
    inner join by_provider as b
        on c.period_type = b.period_type and c.period_start = b.period_start
       and c.geography_type = b.geography_type and c.geography_code = b.geography_code
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
        cast(releases_fix_would_engage as {{ dbt.type_bigint() }}) as releases_fix_would_engage,
        cast(numerator + releases_fix_would_engage as {{ dbt.type_bigint() }}) as adjusted_numerator,
        {{ pct('numerator + releases_fix_would_engage', 'denominator') }} as adjusted_value_pct,
        {{ pct('releases_fix_would_engage', 'denominator') }} as difference_pct_points,
        {% for t in engaging_types %}
        cast({{ t }}_problems as {{ dbt.type_bigint() }}) as {{ t }}_problems{{ ',' if not loop.last }}
        {% endfor %}
    from rows_with_fixes
)

select * from final
