-- Every count the open and partner tiers publish (indicators.md s.4), for the suppression
-- solver (disclosure_suppression): one row per published count, with `cell_key` naming the
-- quantity it is. Two published counts of one quantity share a cell_key and so one decision:
-- a financial year and the rolling 12 months ending that March (the row key leaves out
-- period_type), and the audit funnel's overall row, whose transferred and engaged are C20's
-- denominator and numerator. Each count says what kind it is: `base` (the count its row's
-- rates are over: denominator, n, transferred, releases), `value` (a count of its base:
-- numerator, achieved, engaged, a funnel step; hidden when it, or base minus it, is small),
-- `count` (any other count), `derived` (base minus value: hidden with the value it is derived
-- from, `source_key`). `base_key` names the row's base (a hidden base hides the row). A count
-- of a period series (one geography, split and measure in every period) carries its series
-- and its first and last quarter, so the solver can model overlapping periods as sums of
-- quarters. Partial periods (starting before the earliest data) are not published: their
-- counts are unknowns to a reader (is_published false).
{% set periodic = [
    ('phof_c20', 'phof', ['geography_type', 'geography_code'], "geography_type = 'england'",
     [('denominator', 'base', none), ('numerator', 'value', 'denominator'), ('pending', 'count', 'denominator')]),
    ('audit_attrition', 'audit', ['geography_type', 'geography_code', 'split_type', 'split_value'], "geography_type = 'england'",
     [('transferred', 'base', none), ('referral_received', 'value', 'transferred'),
      ('appointment_offered', 'value', 'transferred'), ('engaged', 'value', 'transferred'),
      ('not_engaged', 'derived', 'transferred'), ('referral_recording_gap', 'count', 'transferred'),
      ('appointment_recording_gap', 'count', 'transferred')]),
    ('continuity_flows', 'flows', ['flow_type', 'estab_code', 'exit_la_code'], 'false',
     [('releases', 'base', none), ('engaged', 'value', 'releases'), ('pending', 'count', 'releases')]),
] %}
{#- the audit funnel's overall row (split all) is C20's row: its transferred and engaged are C20's
    denominator and numerator, and its base is C20's denominator -#}
{% set c20_identity = {'transferred': 'denominator', 'engaged': 'numerator'} %}
with phof as (select * from {{ ref('phof_c20') }}),
-- the partner tier publishes the audit funnel by financial year (partner_audit_attrition)
audit as (select * from {{ ref('audit_attrition') }} where period_type = 'financial_year'),
continuity_flows as (select * from {{ ref('disclosure_flow_rows') }}),
breakdowns as (select * from {{ ref('inequality_breakdowns') }}),
er_summary as (select * from {{ ref('er_outcomes_summary') }}),
recording as (select * from {{ ref('recording_issues_summary') }}),
-- a year whose releases are all judged (England's C20 has none pending): at day
-- engagement_window_days its curve is C20, so its releases and that day's started are C20's
-- denominator and numerator (the same cells; tests/singular/assert_time_to_treatment_day_21_equals_c20)
time_to_treatment as (
    select
        t.*,
        c.period_start is not null as is_closed_year
    from {{ ref('time_to_treatment') }} as t
    left join (
        select period_type, period_start from {{ ref('phof_c20') }}
        where period_type = 'financial_year' and geography_type = 'england' and pending = 0
    ) as c
        on t.period_type = c.period_type and t.period_start = c.period_start
),
recording_adjusted as (select * from {{ ref('c20_recording_adjusted') }}),
period_labels as (select * from {{ ref('int_c20_period_labels') }}),

periods as (
    select distinct period_start, period_end, is_partial_period from period_labels
),

{% for table_name, source, keys, national, measures in periodic %}
{{ table_name }}_rows as (
    select distinct
        s.period_start,
        s.period_end,
        {% for key in keys %}s.{{ key }},{% endfor %}
        {% for measure, kind, base in measures %}s.{{ measure }},{% endfor %}
        {{ national }} as is_national,
        not coalesce(p.is_partial_period, false) as is_published
    from {{ 'continuity_flows' if source == 'flows' else source }} as s
    left join periods as p on s.period_start = p.period_start and s.period_end = p.period_end
),

{{ table_name }}_cells as (
    {% set own_row = disclosure_key(['period_start', 'period_end'] + keys) %}
    {% set c20_row = disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) %}
    {% for measure, kind, base in measures %}
    {% set own = "'" ~ table_name ~ "#' || " ~ own_row ~ " || '#" %}
    select
        {%- if table_name == 'audit_attrition' %}
        case when split_type = 'all' and '{{ measure }}' in ('transferred', 'engaged')
            then 'phof_c20#' || {{ c20_row }} || '#{{ c20_identity.get(measure, measure) }}'
            else {{ own }}{{ measure }}'
        end as cell_key,
        {%- else %}
        {{ own }}{{ measure }}' as cell_key,
        {%- endif %}
        {{ own }}{{ measure }}' as address,
        '{{ table_name }}' as table_name,
        {{ own_row }} as row_key,
        '{{ measure }}' as measure,
        '{{ kind }}' as kind,
        cast({{ measure }} as {{ dbt.type_bigint() }}) as value,
        {%- if not base %}
        cast(null as {{ dbt.type_string() }}) as base_key,
        {%- elif table_name == 'audit_attrition' %}
        case when split_type = 'all' then 'phof_c20#' || {{ c20_row }} || '#denominator' else {{ own }}{{ base }}' end as base_key,
        {%- else %}
        {{ own }}{{ base }}' as base_key,
        {%- endif %}
        {%- if kind == 'derived' %}
        case when split_type = 'all' then 'phof_c20#' || {{ c20_row }} || '#numerator' else {{ own }}engaged' end as source_key,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as source_key,
        {%- endif %}
        {%- if table_name == 'continuity_flows' %}
        {#- an "other" row's pairs differ from period to period: it is no series #}
        case when flow_type = 'pair' then {{ disclosure_key(["'" ~ table_name ~ "'"] + keys + ["'" ~ measure ~ "'"]) }} end
            as series_key,
        {%- else %}
        {{ disclosure_key(["'" ~ table_name ~ "'"] + keys + ["'" ~ measure ~ "'"]) }} as series_key,
        {%- endif %}
        {{ quarter_index('period_start') }} as first_quarter,
        {{ quarter_index('period_end') }} as last_quarter,
        is_national,
        is_published
    from {{ table_name }}_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
{% endfor %}

breakdown_counts as (
    select
        outcome, variable, category, n,
        cast(round(mean * n) as {{ dbt.type_bigint() }}) as x,
        variable = 'total' as is_national
    from breakdowns
    where not adjusted
),

er_volumes as (
    select distinct site, site_referrals, site_accepted, site_released from er_summary
),

{% set unperiodic = [
    ('inequality_breakdowns', 'breakdown_counts', ['outcome', 'variable', 'category'], 'is_national',
     [('n', 'base', none), ('x', 'value', 'n')]),
    ('er_outcomes_summary', 'er_summary', ['site', 'priority_group', 'outcome'], 'false',
     [('n', 'base', none), ('achieved', 'value', 'n'), ('pending', 'count', 'n'),
      ('not_known', 'count', 'n'), ('not_applicable', 'count', 'n')]),
    ('er_outcomes_summary', 'er_volumes', ['site'], 'false',
     [('site_referrals', 'count', none), ('site_accepted', 'count', none), ('site_released', 'count', none)]),
    ('recording_issues_summary', 'recording', ['financial_year', 'provider_role', 'provider', 'issue_type'],
     "provider_role = 'england'",
     [('issues', 'count', 'releases_affected'), ('releases_affected', 'base', none),
      ('releases_would_engage', 'value', 'releases_affected'), ('ambiguous_candidates', 'count', 'releases_affected')]),
] %}
other_cells as (
    {% for table_name, source, keys, national, measures in unperiodic %}
    {% set outer = loop %}
    {% for measure, kind, base in measures %}
    {% set own = "'" ~ table_name ~ "#' || " ~ disclosure_key(keys) ~ " || '#" %}
    select
        {{ own }}{{ measure }}' as cell_key,
        {{ own }}{{ measure }}' as address,
        '{{ table_name }}' as table_name,
        {{ disclosure_key(keys) }} as row_key,
        '{{ measure }}' as measure,
        '{{ kind }}' as kind,
        cast({{ measure }} as {{ dbt.type_bigint() }}) as value,
        {{ own ~ base ~ "'" if base else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as base_key,
        cast(null as {{ dbt.type_string() }}) as source_key,
        cast(null as {{ dbt.type_string() }}) as series_key,
        cast(null as {{ dbt.type_bigint() }}) as first_quarter,
        cast(null as {{ dbt.type_bigint() }}) as last_quarter,
        {{ national }} as is_national,
        true as is_published
    from {{ source }}
    {% if not (outer.last and loop.last) %}union all{% endif %}
    {% endfor %}
    {% endfor %}
),

-- time to treatment: a geography-year's releases are one count on every day's row (the base of
-- the year's curve); each day's started and at_risk are counts of that row
time_to_treatment_cells as (
    {% set year_row = disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) %}
    {% set day_row = disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', 'day']) %}
    {% for measure, kind in [('releases_followed', 'base'), ('started', 'value'), ('at_risk', 'count')] %}
    select distinct
        case
            when '{{ measure }}' = 'releases_followed' and is_closed_year
                then 'phof_c20#' || {{ year_row }} || '#denominator'
            when '{{ measure }}' = 'releases_followed'
                then 'time_to_treatment#' || {{ year_row }} || '#releases_followed'
            when '{{ measure }}' = 'started' and is_closed_year and day = {{ var('engagement_window_days') }}
                then 'phof_c20#' || {{ year_row }} || '#numerator'
            else 'time_to_treatment#' || {{ day_row }} || '#{{ measure }}'
        end as cell_key,
        'time_to_treatment#' || {{ day_row }} || '#{{ measure }}' as address,
        'time_to_treatment' as table_name,
        {{ day_row }} as row_key,
        '{{ measure }}' as measure,
        '{{ kind }}' as kind,
        cast({{ measure }} as {{ dbt.type_bigint() }}) as value,
        {{ "null" if kind == 'base' else "case when is_closed_year then 'phof_c20#' || " ~ year_row ~ " || '#denominator' else 'time_to_treatment#' || " ~ year_row ~ " || '#releases_followed' end" }} as base_key,
        cast(null as {{ dbt.type_string() }}) as source_key,
        cast(null as {{ dbt.type_string() }}) as series_key,
        cast(null as {{ dbt.type_bigint() }}) as first_quarter,
        cast(null as {{ dbt.type_bigint() }}) as last_quarter,
        geography_type = 'england' as is_national,
        true as is_published
    from time_to_treatment
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- C20 if the records were right: its denominator and numerator are phof_c20's (the same
-- cells); the releases a fix would engage and the problems behind them are its own counts
recording_adjusted_cells as (
    {% set row = disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', 'provider_role', 'provider']) %}
    {% set c20_row = disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) %}
    {% for measure, kind in [('denominator', 'base'), ('numerator', 'value'), ('releases_fix_would_engage', 'count'),
                             ('attributor_mismatch_problems', 'count'), ('exit_date_after_triage_problems', 'count')] %}
    select
        case when '{{ measure }}' in ('denominator', 'numerator')
            then 'phof_c20#' || {{ c20_row }} || '#{{ measure }}'
            else 'c20_recording_adjusted#' || {{ row }} || '#{{ measure }}'
        end as cell_key,
        'c20_recording_adjusted#' || {{ row }} || '#{{ measure }}' as address,
        'c20_recording_adjusted' as table_name,
        {{ row }} as row_key,
        '{{ measure }}' as measure,
        '{{ kind }}' as kind,
        cast({{ measure }} as {{ dbt.type_bigint() }}) as value,
        {{ "null" if kind == 'base' else "'phof_c20#' || " ~ c20_row ~ " || '#denominator'" }} as base_key,
        cast(null as {{ dbt.type_string() }}) as source_key,
        cast(null as {{ dbt.type_string() }}) as series_key,
        cast(null as {{ dbt.type_bigint() }}) as first_quarter,
        cast(null as {{ dbt.type_bigint() }}) as last_quarter,
        geography_type = 'england' and provider_role = 'all' as is_national,
        true as is_published
    from recording_adjusted
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    {% for table_name, source, keys, national, measures in periodic %}
    select * from {{ table_name }}_cells
    union all
    {% endfor %}
    select * from other_cells
    union all
    select * from time_to_treatment_cells
    union all
    select * from recording_adjusted_cells
)

select
    cell_key,
    address,
    table_name,
    row_key,
    measure,
    kind,
    value,
    base_key,
    source_key,
    series_key,
    first_quarter,
    last_quarter,
    is_national,
    is_published,
    -- which counts complementary suppression hides first, at equal need: the partner tier's
    -- (0), the open tier's other tables (1), C20's areas (2), England's (3), and England's C20
    -- (4: the headline PHOF always shows) only when nothing else can protect a count
    case
        when is_national and table_name = 'phof_c20' then 4
        when is_national then 3
        when table_name = 'phof_c20' then 2
        when table_name in ('inequality_breakdowns', 'time_to_treatment') then 1
        else 0
    end as priority
from final
