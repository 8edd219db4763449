-- marts.phof_c20 as the open tier publishes it (indicators.md s.1, s.4): every figure is the
-- mart's own (true) figure, or hidden. A count is hidden as disclosure_suppression decided
-- (small numbers, to protect another cell, or with its row's denominator); a row whose
-- numerator or denominator is hidden shows no value, interval or comparison (NULL). Comparisons are
-- made on the shown intervals against the shown England and region values, so each follows
-- from what a reader sees (and equals the mart's wherever both are shown). A recent trend is
-- shown only when every year it is computed over shows its counts. A partial period publishes
-- no count. In the stricter release (disclosure_rounding_base > 1) counts below England are
-- rounded, rates come from the rounded counts and nothing below England is compared.
{% set rounded = disclosure_is_rounded() %}
with c20 as (
    select * from {{ ref('phof_c20') }}
),

period_labels as (select * from {{ ref('int_c20_period_labels') }}),

decisions as (
    {{ disclosure_reasons('phof_c20', ['denominator', 'numerator', 'pending']) }}
),

decided as (
    select
        c.*,
        c.geography_type = 'england' as is_national,
        coalesce(l.is_partial_period, false) as is_partial_period,
        case when l.is_partial_period then 'unpublished' else coalesce(d.denominator_reason, 'shown') end
            as denominator_reason,
        case when l.is_partial_period then 'unpublished' else coalesce(d.numerator_reason, 'shown') end
            as numerator_reason,
        case when l.is_partial_period then 'unpublished' else coalesce(d.pending_reason, 'shown') end
            as pending_reason
    from c20 as c
    left join period_labels as l
        on c.period_type = l.period_type and c.period_start = l.period_start
    left join decisions as d
        on d.row_key = {{ disclosure_key(['c.period_start', 'c.period_end', 'c.geography_type', 'c.geography_code']) }}
),

shown as (
    select
        decided.*,
        denominator_reason = 'shown' and numerator_reason = 'shown' as value_shown,
        {{ disclosure_count('denominator', 'denominator_reason', 'is_national') }} as shown_denominator,
        {{ disclosure_count('numerator', 'numerator_reason', 'is_national') }} as shown_numerator,
        {{ disclosure_count('pending', 'pending_reason', 'is_national') }} as shown_pending
    from decided
),

valued as (
    select
        shown.*,
        {% for column, expression in [
            ('value_pct', pct('shown_numerator', 'shown_denominator')),
            ('lower_ci95_pct', wilson_lower_pct('shown_numerator', 'shown_denominator')),
            ('upper_ci95_pct', wilson_upper_pct('shown_numerator', 'shown_denominator')),
            ('lower_ci998_pct', wilson_lower_pct('shown_numerator', 'shown_denominator', var('wilson_z_998'))),
            ('upper_ci998_pct', wilson_upper_pct('shown_numerator', 'shown_denominator', var('wilson_z_998')))] %}
        case
            when not value_shown then null
            {%- if rounded %}
            when not is_national then {{ expression }}
            {%- endif %}
            else {{ column }}
        end as shown_{{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from shown
),

reference_values as (
    select period_type, period_start, geography_type, geography_code, shown_value_pct as reference_pct
    from valued
    where geography_type in ('england', 'region')
),

-- a trend is over the counts of its financial years: shown only when all of them are
trend_years_hidden as (
    select distinct t.geography_type, t.geography_code, t.trend_period_start
    from valued as t
    inner join valued as y
        on t.geography_type = y.geography_type and t.geography_code = y.geography_code
       and y.period_type = 'financial_year'
       and y.period_start >= t.trend_period_start and y.period_end <= t.trend_period_end
    where not y.value_shown
),

compared as (
    select
        v.*,
        e.reference_pct as england_pct,
        r.reference_pct as region_pct,
        {%- if rounded %}
        not v.is_national as not_compared,
        {%- else %}
        false as not_compared,
        {%- endif %}
        h.geography_code is not null as trend_hidden
    from valued as v
    left join reference_values as e
        on v.period_type = e.period_type and v.period_start = e.period_start and e.geography_type = 'england'
    left join reference_values as r
        on v.period_type = r.period_type and v.period_start = r.period_start and r.geography_type = 'region'
       and v.parent_region_code = r.geography_code
    left join trend_years_hidden as h
        on v.geography_type = h.geography_type and v.geography_code = h.geography_code
       and v.trend_period_start = h.trend_period_start
),

final as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        geography_name,
        shown_denominator as denominator,
        shown_numerator as numerator,
        shown_pending as pending,
        shown_value_pct as value_pct,
        shown_lower_ci95_pct as lower_ci95_pct,
        shown_upper_ci95_pct as upper_ci95_pct,
        shown_lower_ci998_pct as lower_ci998_pct,
        shown_upper_ci998_pct as upper_ci998_pct,
        parent_region_code,
        case
            when is_national or not value_shown then null
            when not_compared then 'Not compared'
            else {{ compare_with('shown_lower_ci95_pct', 'shown_upper_ci95_pct', 'england_pct') }}
        end as compared_with_england_95,
        case
            when is_national or not value_shown then null
            when not_compared then 'Not compared'
            else {{ compare_with('shown_lower_ci998_pct', 'shown_upper_ci998_pct', 'england_pct') }}
        end as compared_with_england_998,
        case
            when geography_type <> 'local_authority' or not value_shown then null
            when not_compared then 'Not compared'
            else {{ compare_with('shown_lower_ci95_pct', 'shown_upper_ci95_pct', 'region_pct') }}
        end as compared_with_region_95,
        case
            when geography_type <> 'local_authority' or not value_shown then null
            when not_compared then 'Not compared'
            else {{ compare_with('shown_lower_ci998_pct', 'shown_upper_ci998_pct', 'region_pct') }}
        end as compared_with_region_998,
        case when not (trend_hidden or not_compared) then recent_trend end as recent_trend,
        case when not (trend_hidden or not_compared) then trend_chi_square end as trend_chi_square,
        trend_period_start,
        trend_period_end,
        period_label,
        period_sort_key,
        {{ disclosure_note('denominator', 'numerator', ['pending'],
            status='value_note',
            extra=["case when value_shown and trend_hidden and recent_trend is not null then " ~ value_note('trend_suppressed') ~ " end",
                   "case when not_compared then " ~ value_note('rounded') ~ " end"]) }} as value_note
    from compared
)

select * from final
