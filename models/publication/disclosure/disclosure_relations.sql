-- Every relation between published counts that a reader of the open and partner tiers knows
-- (indicators.md s.4: "wherever published cells add up to another published cell"), as the
-- entries of linear relations  sum(coefficient * cell) + constant = 0  (is_equality) or <= 0.
-- A cell key that is no published cell is an unknown the reader cannot see (releases to areas
-- outside the local-authority list, an ER cohort's size). The solver adds the quarters of
-- overlapping periods itself (disclosure_cells carries each count's period series).
-- Each relation holds exactly on the marts: a singular data test checks that.
{% set c20_measures = ['denominator', 'numerator', 'pending'] %}
{% set audit_measures = ['transferred', 'referral_received', 'appointment_offered', 'engaged', 'not_engaged',
                         'referral_recording_gap', 'appointment_recording_gap'] %}
{% set flow_measures = [('releases', 'denominator'), ('engaged', 'numerator'), ('pending', 'pending')] %}
with cells as (select * from {{ ref('disclosure_cells') }}),
flow_rows as (select * from {{ ref('disclosure_flow_rows') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),
regions as (select * from {{ ref('regions') }}),

c20_rows as (
    select distinct period_start, period_end, geography_type, geography_code, parent_region_code,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) }} as row_key
    from {{ ref('phof_c20') }}
),

audit_rows as (
    select distinct period_start, period_end, geography_type, geography_code, split_type, split_value,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', 'split_type', 'split_value']) }} as row_key
    from {{ ref('audit_attrition') }}
    where period_type = 'financial_year'  -- as the partner tier publishes it
),

breakdown_rows as (
    select distinct outcome, variable, category,
        {{ disclosure_key(['outcome', 'variable', 'category']) }} as row_key
    from {{ ref('inequality_breakdowns') }}
),

er_rows as (
    select distinct site, priority_group, outcome,
        {{ disclosure_key(['site', 'priority_group', 'outcome']) }} as row_key
    from {{ ref('er_outcomes_summary') }}
),

recording_rows as (
    select distinct financial_year, provider_role, provider, issue_type,
        {{ disclosure_key(['financial_year', 'provider_role', 'provider', 'issue_type']) }} as row_key
    from {{ ref('recording_issues_summary') }}
),

-- C20: local authorities to their region; regions and the areas outside the list to
-- England; prisons to England; numerator <= denominator (also outside the list)
c20 as (
    {% for m in c20_measures %}
    select
        {{ dbt.concat(["'c20 region|'", 'period_start', "'|'", 'period_end', "'|'", 'coalesce(parent_region_code, geography_code)', "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'phof_c20#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        case when geography_type = 'region' then -1 else 1 end as coefficient,
        true as is_equality
    from c20_rows
    where geography_type in ('local_authority', 'region')
    union all
    select
        {{ dbt.concat(["'c20 england by region|'", 'period_start', "'|'", 'period_end', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'phof_c20#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from c20_rows
    where geography_type in ('region', 'england')
    union all
    select
        {{ dbt.concat(["'c20 england by region|'", 'period_start', "'|'", 'period_end', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'unknown#outside the local-authority list|'", 'period_start', "'|'", 'period_end', "'#" ~ m ~ "'"]) }},
        1,
        true
    from c20_rows
    where geography_type = 'england'
    union all
    select
        {{ dbt.concat(["'c20 england by prison|'", 'period_start', "'|'", 'period_end', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'phof_c20#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from c20_rows
    where geography_type in ('prison', 'england')
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'c20 row|'", 'row_key']) }},
        {{ dbt.concat(["'phof_c20#'", 'row_key', "'#'", 'measure']) }},
        case when measure = 'numerator' then 1 else -1 end,
        false
    from c20_rows
    cross join (select 'numerator' as measure union all select 'denominator') as m
    union all
    -- the areas outside the list: their engaged are some of their releases
    select
        {{ dbt.concat(["'c20 outside row|'", 'period_start', "'|'", 'period_end']) }},
        {{ dbt.concat(["'unknown#outside the local-authority list|'", 'period_start', "'|'", 'period_end', "'#'", 'measure']) }},
        case when measure = 'numerator' then 1 else -1 end,
        false
    from c20_rows
    cross join (select 'numerator' as measure union all select 'denominator') as m
    where geography_type = 'england'
),

-- the audit funnel: split values to their row; prisons, and local authorities (with the
-- areas outside the list), to England; the funnel never grows; the overall row is C20's
audit_split_types as (
    select distinct period_start, period_end, geography_type, geography_code, split_type
    from audit_rows
    where split_type <> 'all'
),

audit as (
    {% for m in audit_measures %}
    select
        {{ dbt.concat(["'audit split|'", 'period_start', "'|'", 'period_end', "'|'", 'geography_type', "'|'", 'geography_code', "'|'", 'split_type', "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'audit_attrition#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        1 as coefficient,
        true as is_equality
    from audit_rows
    where split_type <> 'all'
    union all
    select
        {{ dbt.concat(["'audit split|'", 's.period_start', "'|'", 's.period_end', "'|'", 's.geography_type', "'|'", 's.geography_code', "'|'", 's.split_type', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'audit_attrition#'", 'a.row_key', "'#" ~ m ~ "'"]) }},
        -1,
        true
    from audit_split_types as s
    inner join audit_rows as a
        on s.period_start = a.period_start and s.period_end = a.period_end
       and s.geography_type = a.geography_type and s.geography_code = a.geography_code and a.split_type = 'all'
    union all
    select
        {{ dbt.concat(["'audit england by prison|'", 'period_start', "'|'", 'period_end', "'|'", 'split_type', "'|'", 'split_value', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'audit_attrition#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from audit_rows
    where geography_type in ('prison', 'england')
    union all
    select
        {{ dbt.concat(["'audit england by area|'", 'period_start', "'|'", 'period_end', "'|'", 'split_type', "'|'", 'split_value', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'audit_attrition#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from audit_rows
    where geography_type in ('local_authority', 'england')
    union all
    select
        {{ dbt.concat(["'audit england by area|'", 'period_start', "'|'", 'period_end', "'|'", 'split_type', "'|'", 'split_value', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'unknown#audit outside the local-authority list|'", 'period_start', "'|'", 'period_end', "'|'", 'split_type', "'|'", 'split_value', "'#" ~ m ~ "'"]) }},
        1,
        true
    from audit_rows
    where geography_type = 'england'
    union all
    {% endfor %}
    {% set row_relations = [
        ('not engaged', [('engaged', 1), ('not_engaged', 1), ('transferred', -1)], true),
        ('engaged <= appointment offered', [('engaged', 1), ('appointment_offered', -1)], false),
        ('appointment offered <= referral received', [('appointment_offered', 1), ('referral_received', -1)], false),
        ('referral received <= transferred', [('referral_received', 1), ('transferred', -1)], false),
        ('referral gap <= appointment offered', [('referral_recording_gap', 1), ('appointment_offered', -1)], false),
        ('appointment gap <= engaged', [('appointment_recording_gap', 1), ('engaged', -1)], false),
    ] %}
    {% for name, members, equality in row_relations %}
    {% set outer = loop %}
    {% for m, coefficient in members %}
    select
        {{ dbt.concat(["'audit " ~ name ~ "|'", 'row_key']) }},
        {{ dbt.concat(["'audit_attrition#'", 'row_key', "'#" ~ m ~ "'"]) }},
        {{ coefficient }},
        {{ equality }}
    from audit_rows
    {% if not (outer.last and loop.last) %}union all{% endif %}
    {% endfor %}
    {% endfor %}
),

-- flows: a prison's pairs and its "other areas" row to the prison's C20 row; an area's pairs
-- and its "other prisons" row to the area's C20 row (or, outside the list, to the areas
-- outside the list); the "other" rows of both kinds to the same total; a named pair had at
-- least disclosure_min_count releases (judged or pending)
flow_members as (
    select distinct
        f.period_start, f.period_end, f.flow_type, f.estab_code, f.exit_la_code, f.row_key,
        la.la_code is not null as in_list
    from flow_rows as f
    left join local_authorities as la on f.exit_la_code = la.la_code
),

flows as (
    {% for fm, cm in flow_measures %}
    select
        {{ dbt.concat(["'flows prison|'", 'period_start', "'|'", 'period_end', "'|'", 'estab_code', "'|" ~ fm ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'continuity_flows#'", 'row_key', "'#" ~ fm ~ "'"]) }} as cell_key,
        1 as coefficient,
        true as is_equality
    from flow_members
    where flow_type in ('pair', 'other_areas')
    union all
    select distinct
        {{ dbt.concat(["'flows prison|'", 'period_start', "'|'", 'period_end', "'|'", 'estab_code', "'|" ~ fm ~ "'"]) }},
        {{ dbt.concat(["'phof_c20#'", disclosure_key(['period_start', 'period_end', "'prison'", 'estab_code']), "'#" ~ cm ~ "'"]) }},
        -1,
        true
    from flow_members
    where flow_type in ('pair', 'other_areas')
    union all
    select
        {{ dbt.concat(["'flows area|'", 'period_start', "'|'", 'period_end', "'|'", "case when in_list then exit_la_code else 'outside the list' end", "'|" ~ fm ~ "'"]) }},
        {{ dbt.concat(["'continuity_flows#'", 'row_key', "'#" ~ fm ~ "'"]) }},
        1,
        true
    from flow_members
    where flow_type in ('pair', 'other_prisons')
    union all
    select distinct
        {{ dbt.concat(["'flows area|'", 'period_start', "'|'", 'period_end', "'|'", "case when in_list then exit_la_code else 'outside the list' end", "'|" ~ fm ~ "'"]) }},
        case when in_list
            then {{ dbt.concat(["'phof_c20#'", disclosure_key(['period_start', 'period_end', "'local_authority'", 'exit_la_code']), "'#" ~ cm ~ "'"]) }}
            else {{ dbt.concat(["'unknown#outside the local-authority list|'", 'period_start', "'|'", 'period_end', "'#" ~ cm ~ "'"]) }}
        end,
        -1,
        true
    from flow_members
    where flow_type in ('pair', 'other_prisons')
    union all
    select
        {{ dbt.concat(["'flows other rows|'", 'period_start', "'|'", 'period_end', "'|" ~ fm ~ "'"]) }},
        {{ dbt.concat(["'continuity_flows#'", 'row_key', "'#" ~ fm ~ "'"]) }},
        case when flow_type = 'other_areas' then 1 else -1 end,
        true
    from flow_members
    where flow_type in ('other_areas', 'other_prisons')
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'flows named|'", 'row_key']) }},
        {{ dbt.concat(["'continuity_flows#'", 'row_key', "'#'", 'm.measure']) }},
        -1,
        false
    from flow_members
    cross join (select 'releases' as measure union all select 'pending') as m
    where flow_type = 'pair'
    union all
    select
        {{ dbt.concat(["'flows row|'", 'row_key']) }},
        {{ dbt.concat(["'continuity_flows#'", 'row_key', "'#'", 'm.measure']) }},
        case when m.measure = 'engaged' then 1 else -1 end,
        false
    from flow_members
    cross join (select 'engaged' as measure union all select 'releases') as m
),

-- breakdowns: categories to their total; x <= n; C20's total and regions are the sum of the
-- financial years of phof_c20; ER's total is the sum of the sites' successful outcomes
breakdown_variables as (
    select distinct outcome, variable from breakdown_rows where variable <> 'total'
),

breakdowns as (
    {% for m in ['n', 'x'] %}
    select
        {{ dbt.concat(["'breakdown|'", 'outcome', "'|'", 'variable', "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'inequality_breakdowns#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        1 as coefficient,
        true as is_equality
    from breakdown_rows
    where variable <> 'total'
    union all
    select
        {{ dbt.concat(["'breakdown|'", 'v.outcome', "'|'", 'v.variable', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'inequality_breakdowns#'", 't.row_key', "'#" ~ m ~ "'"]) }},
        -1,
        true
    from breakdown_variables as v
    inner join breakdown_rows as t on v.outcome = t.outcome and t.variable = 'total'
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'breakdown row|'", 'row_key']) }},
        {{ dbt.concat(["'inequality_breakdowns#'", 'row_key', "'#'", 'm.measure']) }},
        case when m.measure = 'x' then 1 else -1 end,
        false
    from breakdown_rows
    cross join (select 'x' as measure union all select 'n') as m
),

financial_years as (
    select distinct period_start, period_end, geography_type, geography_code,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) }} as row_key
    from {{ ref('phof_c20') }}
    where period_type = 'financial_year' and geography_type in ('england', 'region')
),

breakdowns_by_year as (
    {% for bm, cm in [('n', 'denominator'), ('x', 'numerator')] %}
    select
        {{ dbt.concat(["'breakdown is c20 years|'", 'b.row_key', "'|" ~ bm ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'inequality_breakdowns#'", 'b.row_key', "'#" ~ bm ~ "'"]) }} as cell_key,
        -1 as coefficient,
        true as is_equality
    from breakdown_rows as b
    where b.outcome = 'engaged_within_21_days' and b.variable in ('total', 'region')
    union all
    select
        {{ dbt.concat(["'breakdown is c20 years|'", 'b.row_key', "'|" ~ bm ~ "'"]) }},
        {{ dbt.concat(["'phof_c20#'", 'y.row_key', "'#" ~ cm ~ "'"]) }},
        1,
        true
    from breakdown_rows as b
    left join regions as r on b.variable = 'region' and b.category = r.region_name
    inner join financial_years as y
        on (b.variable = 'total' and y.geography_type = 'england')
        or (b.variable = 'region' and y.geography_type = 'region' and y.geography_code = r.region_code)
    where b.outcome = 'engaged_within_21_days'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- ER: priority groups to the site's row; achieved <= n; the statuses of every outcome add up
-- to the same cohort; the site's cohort is within its accepted referrals; released within
-- accepted; the sites' successful outcome to the national breakdown's total
er as (
    {% for m in ['n', 'achieved', 'pending', 'not_known', 'not_applicable'] %}
    select
        {{ dbt.concat(["'er groups|'", 'site', "'|'", 'outcome', "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'er_outcomes_summary#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        case when priority_group = 'all' then -1 else 1 end as coefficient,
        true as is_equality
    from er_rows
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'er row|'", 'row_key']) }},
        {{ dbt.concat(["'er_outcomes_summary#'", 'row_key', "'#'", 'm.measure']) }},
        case when m.measure = 'achieved' then 1 else -1 end,
        false
    from er_rows
    cross join (select 'achieved' as measure union all select 'n') as m
    union all
    select
        {{ dbt.concat(["'er cohort|'", 'row_key']) }},
        {{ dbt.concat(["'er_outcomes_summary#'", 'row_key', "'#'", 'm.measure']) }},
        1,
        true
    from er_rows
    cross join (
        select 'n' as measure union all select 'pending' union all select 'not_known' union all select 'not_applicable'
    ) as m
    union all
    select
        {{ dbt.concat(["'er cohort|'", 'row_key']) }},
        {{ dbt.concat(["'unknown#er cohort|'", 'site', "'|'", 'priority_group']) }},
        -1,
        true
    from er_rows
    union all
    select distinct
        {{ dbt.concat(["'er cohort within accepted|'", 'site']) }},
        case when m.measure = 'cohort'
            then {{ dbt.concat(["'unknown#er cohort|'", 'site', "'|all'"]) }}
            else {{ dbt.concat(["'er_outcomes_summary#'", 'site', "'#site_accepted'"]) }}
        end,
        case when m.measure = 'cohort' then 1 else -1 end,
        false
    from er_rows
    cross join (select 'cohort' as measure union all select 'accepted') as m
    union all
    select distinct
        {{ dbt.concat(["'er released within accepted|'", 'site']) }},
        {{ dbt.concat(["'er_outcomes_summary#'", 'site', "'#'", 'm.measure']) }},
        case when m.measure = 'site_released' then 1 else -1 end,
        false
    from er_rows
    cross join (select 'site_released' as measure union all select 'site_accepted') as m
    union all
    {% for em, bm in [('n', 'n'), ('achieved', 'x')] %}
    select
        'er national|{{ bm }}',
        {{ dbt.concat(["'er_outcomes_summary#'", 'row_key', "'#" ~ em ~ "'"]) }},
        1,
        true
    from er_rows
    where priority_group = 'all' and outcome = 'successful_outcome'
    union all
    select
        'er national|{{ bm }}',
        {{ dbt.concat(["'inequality_breakdowns#'", 'row_key', "'#" ~ bm ~ "'"]) }},
        -1,
        true
    from breakdown_rows
    where outcome = 'er_successful_outcome' and variable = 'total'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- recording problems: every problem has one provider, so the providers' problems add up to
-- England's; a release can be affected at two providers, so a provider's releases are at most
-- England's and England's at most the providers' sum; releases a fix would engage <= affected
recording as (
    {% for m in ['issues', 'ambiguous_candidates'] %}
    select
        {{ dbt.concat(["'recording " ~ m ~ "|'", 'financial_year', "'|'", 'issue_type']) }} as relation_key,
        {{ dbt.concat(["'recording_issues_summary#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        case when provider_role = 'england' then -1 else 1 end as coefficient,
        true as is_equality
    from recording_rows
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'recording row|'", 'row_key']) }},
        {{ dbt.concat(["'recording_issues_summary#'", 'row_key', "'#'", 'm.measure']) }},
        case when m.measure = 'releases_would_engage' then 1 else -1 end,
        false
    from recording_rows
    cross join (select 'releases_would_engage' as measure union all select 'releases_affected') as m
    {% for m in ['releases_affected', 'releases_would_engage'] %}
    union all
    select
        {{ dbt.concat(["'recording provider within england|" ~ m ~ "|'", 'p.row_key']) }},
        {{ dbt.concat(["'recording_issues_summary#'", 'p.row_key', "'#" ~ m ~ "'"]) }},
        1,
        false
    from recording_rows as p
    where p.provider_role <> 'england'
    union all
    select
        {{ dbt.concat(["'recording provider within england|" ~ m ~ "|'", 'p.row_key']) }},
        {{ dbt.concat(["'recording_issues_summary#'", 'e.row_key', "'#" ~ m ~ "'"]) }},
        -1,
        false
    from recording_rows as p
    inner join recording_rows as e
        on p.financial_year = e.financial_year and p.issue_type = e.issue_type and e.provider_role = 'england'
    where p.provider_role <> 'england'
    union all
    select
        {{ dbt.concat(["'recording england within providers|" ~ m ~ "|'", 'financial_year', "'|'", 'issue_type']) }},
        {{ dbt.concat(["'recording_issues_summary#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when provider_role = 'england' then 1 else -1 end,
        false
    from recording_rows
    {% endfor %}
),

-- time to treatment: each day's counts of local authorities to their region, of regions (and
-- the areas outside the list) to England; a year's releases are C20's judged and pending
-- releases; started and at risk within the releases; started never falls from one reported day
-- to the next; on day 21 of a year with nothing pending, started is C20's numerator
ttt_rows as (
    select distinct period_start, period_end, geography_type, geography_code, parent_region_code, day,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', 'day']) }} as row_key,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) }} as c20_row_key
    from {{ ref('time_to_treatment') }}
),

ttt_next_day as (
    select
        row_key,
        lead(row_key) over (partition by period_start, geography_type, geography_code order by day) as next_row_key
    from ttt_rows
),

c20_pending as (
    select distinct
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) }} as row_key, pending
    from {{ ref('phof_c20') }}
    where period_type = 'financial_year'
),

time_to_treatment as (
    {% for m in ['releases_followed', 'started', 'at_risk'] %}
    select distinct
        {{ dbt.concat(["'ttt region|'", 'period_start', "'|'", 'coalesce(parent_region_code, geography_code)', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'time_to_treatment#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        case when geography_type = 'region' then -1 else 1 end as coefficient,
        true as is_equality
    from ttt_rows
    where geography_type in ('local_authority', 'region')
    union all
    select
        {{ dbt.concat(["'ttt england|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'time_to_treatment#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from ttt_rows
    where geography_type in ('region', 'england')
    union all
    select
        {{ dbt.concat(["'ttt england|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'unknown#time to treatment outside the list|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'#" ~ m ~ "'"]) }},
        1,
        true
    from ttt_rows
    where geography_type = 'england'
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'ttt releases are c20|'", 'c20_row_key']) }},
        {{ dbt.concat(["'time_to_treatment#'", 'min(row_key)', "'#releases_followed'"]) }},
        -1,
        true
    from ttt_rows
    group by c20_row_key
    union all
    select distinct
        {{ dbt.concat(["'ttt releases are c20|'", 'c20_row_key']) }},
        {{ dbt.concat(["'phof_c20#'", 'c20_row_key', "'#'", 'm.measure']) }},
        1,
        true
    from ttt_rows
    cross join (select 'denominator' as measure union all select 'pending') as m
    union all
    select
        {{ dbt.concat(["'ttt within releases|'", 'row_key', "'|'", 'm.measure']) }},
        {{ dbt.concat(["'time_to_treatment#'", 'row_key', "'#'", 'm.member']) }},
        case when m.member = 'releases_followed' then -1 else 1 end,
        false
    from ttt_rows
    cross join (
        select 'started' as measure, 'started' as member union all select 'started', 'releases_followed'
        union all select 'at_risk', 'at_risk' union all select 'at_risk', 'releases_followed'
    ) as m
    union all
    select
        {{ dbt.concat(["'ttt started grows|'", 'n.row_key']) }},
        {{ dbt.concat(["'time_to_treatment#'", 'case when m.later then n.next_row_key else n.row_key end', "'#started'"]) }},
        case when m.later then -1 else 1 end,
        false
    from ttt_next_day as n
    cross join (select false as later union all select true) as m
    where n.next_row_key is not null
    union all
    select
        {{ dbt.concat(["'ttt day 21 is c20|'", 't.c20_row_key']) }},
        case when m.member = 'started'
            then {{ dbt.concat(["'time_to_treatment#'", 't.row_key', "'#started'"]) }}
            else {{ dbt.concat(["'phof_c20#'", 't.c20_row_key', "'#numerator'"]) }}
        end,
        case when m.member = 'started' then 1 else -1 end,
        true
    from ttt_rows as t
    inner join c20_pending as p on t.c20_row_key = p.row_key and p.pending = 0
    cross join (select 'started' as member union all select 'numerator') as m
    where t.day = {{ var('engagement_window_days') }}
    union all
    -- the risk set of each day: releases + started on the day = at risk + censored before it +
    -- started by it; the started on the day (d) and the censored (c) are unpublished counts
    select
        {{ dbt.concat(["'ttt risk set|'", 'row_key']) }},
        case m.member
            when 'd' then {{ dbt.concat(["'unknown#ttt started on the day|'", 'row_key']) }}
            when 'c' then {{ dbt.concat(["'unknown#ttt censored|'", 'row_key']) }}
            else {{ dbt.concat(["'time_to_treatment#'", 'row_key', "'#'", 'm.member']) }}
        end,
        case when m.member in ('releases_followed', 'd') then 1 else -1 end,
        true
    from ttt_rows
    cross join (
        select 'releases_followed' as member union all select 'd' union all select 'at_risk'
        union all select 'c' union all select 'started'
    ) as m
    union all
    -- started by the day before + started on the day <= started by the day; censored never falls
    select
        {{ dbt.concat(["'ttt started on the day|'", 'n.row_key']) }},
        case m.member
            when 'before' then {{ dbt.concat(["'time_to_treatment#'", 'n.row_key', "'#started'"]) }}
            when 'd' then {{ dbt.concat(["'unknown#ttt started on the day|'", 'n.next_row_key']) }}
            else {{ dbt.concat(["'time_to_treatment#'", 'n.next_row_key', "'#started'"]) }}
        end,
        case when m.member = 'after' then -1 else 1 end,
        false
    from ttt_next_day as n
    cross join (select 'before' as member union all select 'd' union all select 'after') as m
    where n.next_row_key is not null
    union all
    select
        {{ dbt.concat(["'ttt censored grows|'", 'n.row_key']) }},
        {{ dbt.concat(["'unknown#ttt censored|'", 'case when m.later then n.next_row_key else n.row_key end']) }},
        case when m.later then -1 else 1 end,
        false
    from ttt_next_day as n
    cross join (select false as later union all select true) as m
    where n.next_row_key is not null
    union all
    -- the unpublished counts add up as the published ones: areas to their region, regions and
    -- the areas outside the list to England
    {% for latent, name in [('d', 'started on the day'), ('c', 'censored')] %}
    select
        {{ dbt.concat(["'ttt region|'", 'period_start', "'|'", 'coalesce(parent_region_code, geography_code)', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ latent ~ "'"]) }},
        {{ dbt.concat(["'unknown#ttt " ~ name ~ "|'", 'row_key']) }},
        case when geography_type = 'region' then -1 else 1 end,
        true
    from ttt_rows
    where geography_type in ('local_authority', 'region')
    union all
    select
        {{ dbt.concat(["'ttt england|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ latent ~ "'"]) }},
        {{ dbt.concat(["'unknown#ttt " ~ name ~ "|'", 'row_key']) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from ttt_rows
    where geography_type in ('region', 'england')
    union all
    select
        {{ dbt.concat(["'ttt england|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'|" ~ latent ~ "'"]) }},
        {{ dbt.concat(["'unknown#time to treatment outside the list|'", 'period_start', "'|'", "cast(day as " ~ dbt.type_string() ~ ")", "'#" ~ latent ~ "'"]) }},
        1,
        true
    from ttt_rows
    where geography_type = 'england'
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

-- C20 if the records were right: local authorities' counts to their region, regions (and the
-- areas outside the list) to England; a local authority's providers' problems add up to its
-- own; a release a fix would engage counts under each provider whose problem it has, once in
-- the area (provider <= area <= sum of providers); it was not engaged; England's attributor
-- mismatches a fix would engage are recording_issues_summary's
adjusted_rows as (
    select distinct period_start, period_end, period_type, geography_type, geography_code, parent_region_code,
        provider_role, provider,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', 'provider_role', 'provider']) }} as row_key,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code', "'all'", 'cast(null as ' ~ dbt.type_string() ~ ')']) }} as all_row_key,
        {{ disclosure_key(['period_start', 'period_end', 'geography_type', 'geography_code']) }} as c20_row_key
    from {{ ref('c20_recording_adjusted') }}
),

recording_adjusted as (
    {% for m in ['releases_fix_would_engage', 'attributor_mismatch_problems', 'exit_date_after_triage_problems'] %}
    select
        {{ dbt.concat(["'adjusted region|'", 'period_start', "'|'", 'coalesce(parent_region_code, geography_code)', "'|" ~ m ~ "'"]) }} as relation_key,
        {{ dbt.concat(["'c20_recording_adjusted#'", 'row_key', "'#" ~ m ~ "'"]) }} as cell_key,
        case when geography_type = 'region' then -1 else 1 end as coefficient,
        true as is_equality
    from adjusted_rows
    where provider_role = 'all' and geography_type in ('local_authority', 'region')
    union all
    select
        {{ dbt.concat(["'adjusted england|'", 'period_start', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'c20_recording_adjusted#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when geography_type = 'england' then -1 else 1 end,
        true
    from adjusted_rows
    where provider_role = 'all' and geography_type in ('region', 'england')
    union all
    select
        {{ dbt.concat(["'adjusted england|'", 'period_start', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'unknown#adjusted outside the list|'", 'period_start', "'#" ~ m ~ "'"]) }},
        1,
        true
    from adjusted_rows
    where provider_role = 'all' and geography_type = 'england'
    union all
    {% endfor %}
    {% for m in ['attributor_mismatch_problems', 'exit_date_after_triage_problems'] %}
    select
        {{ dbt.concat(["'adjusted providers|'", 'all_row_key', "'|" ~ m ~ "'"]) }},
        {{ dbt.concat(["'c20_recording_adjusted#'", 'row_key', "'#" ~ m ~ "'"]) }},
        case when provider_role = 'all' then -1 else 1 end,
        true
    from adjusted_rows
    where geography_type = 'local_authority'
      and exists (select 1 from adjusted_rows as p where p.all_row_key = adjusted_rows.all_row_key and p.provider_role <> 'all')
    union all
    {% endfor %}
    select
        {{ dbt.concat(["'adjusted provider within area|'", 'row_key']) }},
        {{ dbt.concat(["'c20_recording_adjusted#'", "case when m.member = 'area' then all_row_key else row_key end", "'#releases_fix_would_engage'"]) }},
        case when m.member = 'area' then -1 else 1 end,
        false
    from adjusted_rows
    cross join (select 'provider' as member union all select 'area') as m
    where provider_role <> 'all'
    union all
    select
        {{ dbt.concat(["'adjusted area within providers|'", 'all_row_key']) }},
        {{ dbt.concat(["'c20_recording_adjusted#'", 'row_key', "'#releases_fix_would_engage'"]) }},
        case when provider_role = 'all' then 1 else -1 end,
        false
    from adjusted_rows
    where geography_type = 'local_authority'
      and exists (select 1 from adjusted_rows as p where p.all_row_key = adjusted_rows.all_row_key and p.provider_role <> 'all')
    union all
    select
        {{ dbt.concat(["'adjusted not engaged|'", 'row_key']) }},
        case m.member
            when 'fix' then {{ dbt.concat(["'c20_recording_adjusted#'", 'row_key', "'#releases_fix_would_engage'"]) }}
            else {{ dbt.concat(["'phof_c20#'", 'c20_row_key', "'#'", 'm.member']) }}
        end,
        case when m.member = 'denominator' then -1 else 1 end,
        false
    from adjusted_rows
    cross join (select 'fix' as member union all select 'numerator' union all select 'denominator') as m
    union all
    select
        {{ dbt.concat(["'adjusted is recording|'", 'a.row_key']) }},
        {{ dbt.concat(["'c20_recording_adjusted#'", 'a.row_key', "'#attributor_mismatch_problems'"]) }},
        1,
        true
    from adjusted_rows as a
    inner join recording_rows as r
        on r.provider_role = 'england' and r.issue_type = 'attributor_mismatch'
       and r.financial_year = {{ fingertips_period_label("'financial_year'", 'a.period_start', 'a.period_end') }}
    where a.provider_role = 'all' and a.geography_type = 'england'
    union all
    select
        {{ dbt.concat(["'adjusted is recording|'", 'a.row_key']) }},
        {{ dbt.concat(["'recording_issues_summary#'", 'r.row_key', "'#releases_would_engage'"]) }},
        -1,
        true
    from adjusted_rows as a
    inner join recording_rows as r
        on r.provider_role = 'england' and r.issue_type = 'attributor_mismatch'
       and r.financial_year = {{ fingertips_period_label("'financial_year'", 'a.period_start', 'a.period_end') }}
    where a.provider_role = 'all' and a.geography_type = 'england'
),

entries as (
    select * from c20
    union all
    select * from audit
    union all
    select * from flows
    union all
    select * from breakdowns
    union all
    select * from breakdowns_by_year
    union all
    select * from er
    union all
    select * from recording
    union all
    select * from time_to_treatment
    union all
    select * from recording_adjusted
),

-- a named pair had at least disclosure_min_count releases: min - releases - pending <= 0
constants as (
    select distinct relation_key, {{ var('disclosure_min_count') }} as constant
    from entries
    where relation_key like 'flows named|%'
)

-- cell_key here is the published address (table#row#measure) or an unknown's name;
-- disclosure_cells maps an address to the quantity it shows
select
    e.relation_key,
    e.cell_key as address,
    cast(e.coefficient as {{ dbt.type_int() }}) as coefficient,
    e.is_equality,
    cast(coalesce(c.constant, 0) as {{ dbt.type_int() }}) as constant
from entries as e
left join constants as c on e.relation_key = c.relation_key
