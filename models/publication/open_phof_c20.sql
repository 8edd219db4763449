-- marts.phof_c20 as published (indicators.md s.1, s.4): below England, counts of 1-7 hidden,
-- other counts rounded to 5, one more cell hidden where a single hidden cell of a period and
-- geography type could be recovered from England's total, and the rate and both intervals
-- recomputed from the rounded counts (or hidden with them), so no published figure undoes the
-- rounding. The comparisons with England and the region are made on the published intervals
-- (so each follows from what a reader sees); the trend label is the warehouse's, computed on
-- exact counts, and its chi-square is shown for England only (below England it is a function
-- of exact counts). A partial period's value is not shown. England is exact. Every value
-- that is not a number, or may still change, has a value note.
with c20 as (
    select * from {{ ref('phof_c20') }}
),

period_labels as (select * from {{ ref('int_c20_period_labels') }}),

flagged as (
    select
        c20.*,
        geography_type = 'england' as is_national,
        geography_type <> 'england' and {{ disclosure_is_small('denominator') }} as denominator_small,
        geography_type <> 'england' and {{ disclosure_is_small('numerator') }} as numerator_small,
        geography_type <> 'england' and {{ disclosure_is_small('pending') }} as pending_small
    from c20
),

hidden as (
    select
        flagged.*,
        denominator_small or {{ disclosure_secondary('denominator', 'denominator_small', 'is_national',
            'period_type, period_start, geography_type', 'geography_code') }} as denominator_hidden,
        numerator_small or {{ disclosure_secondary('numerator', 'numerator_small', 'is_national',
            'period_type, period_start, geography_type', 'geography_code') }} as numerator_hidden,
        pending_small or {{ disclosure_secondary('pending', 'pending_small', 'is_national',
            'period_type, period_start, geography_type', 'geography_code') }} as pending_hidden
    from flagged
),

shown as (
    select
        h.period_type,
        h.period_start,
        h.period_end,
        h.geography_type,
        h.geography_code,
        h.geography_name,
        h.is_national,
        {{ disclosure_shown('h.denominator', 'h.denominator_hidden', 'h.is_national') }} as denominator,
        {{ disclosure_shown('h.numerator', 'h.numerator_hidden or h.denominator_hidden', 'h.is_national') }} as numerator,
        {{ disclosure_shown('h.pending', 'h.pending_hidden', 'h.is_national') }} as pending,
        not h.is_national and (h.denominator_hidden or h.numerator_hidden) as value_hidden,
        not h.is_national and (h.denominator_hidden or h.numerator_hidden or h.pending_hidden) as count_hidden,
        coalesce(l.is_partial_period, false) as is_partial_period,
        h.value_pct as exact_value_pct,
        h.lower_ci95_pct as exact_lower_ci95_pct,
        h.upper_ci95_pct as exact_upper_ci95_pct,
        h.lower_ci998_pct as exact_lower_ci998_pct,
        h.upper_ci998_pct as exact_upper_ci998_pct,
        h.trend_chi_square as exact_trend_chi_square,
        h.parent_region_code,
        h.recent_trend,
        h.trend_period_start,
        h.trend_period_end,
        h.period_label,
        h.period_sort_key,
        h.value_note as warehouse_value_note
    from hidden as h
    left join period_labels as l
        on h.period_type = l.period_type and h.period_start = l.period_start
),

valued as (
    select
        shown.*,
        case
            when is_partial_period then null
            when is_national then exact_value_pct
            when not value_hidden then {{ pct('numerator', 'denominator') }}
        end as value_pct,
        case
            when is_partial_period then null
            when is_national then exact_lower_ci95_pct
            when not value_hidden then {{ wilson_lower_pct('numerator', 'denominator') }}
        end as lower_ci95_pct,
        case
            when is_partial_period then null
            when is_national then exact_upper_ci95_pct
            when not value_hidden then {{ wilson_upper_pct('numerator', 'denominator') }}
        end as upper_ci95_pct,
        case
            when is_partial_period then null
            when is_national then exact_lower_ci998_pct
            when not value_hidden then {{ wilson_lower_pct('numerator', 'denominator', var('wilson_z_998')) }}
        end as lower_ci998_pct,
        case
            when is_partial_period then null
            when is_national then exact_upper_ci998_pct
            when not value_hidden then {{ wilson_upper_pct('numerator', 'denominator', var('wilson_z_998')) }}
        end as upper_ci998_pct
    from shown
),

reference_values as (
    select period_type, period_start, geography_type, geography_code, value_pct as reference_pct
    from valued
    where geography_type in ('england', 'region')
),

compared as (
    select
        v.*,
        e.reference_pct as england_pct,
        r.reference_pct as region_pct
    from valued as v
    left join reference_values as e
        on v.period_type = e.period_type and v.period_start = e.period_start and e.geography_type = 'england'
    left join reference_values as r
        on v.period_type = r.period_type and v.period_start = r.period_start and r.geography_type = 'region'
       and v.parent_region_code = r.geography_code
),

{% set value_reason -%}
    case
        when is_partial_period then {{ value_note('partial_period') }}
        when value_hidden then {{ value_note('suppressed') }}
        else warehouse_value_note
    end
{%- endset %}

final as (
    select
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        geography_name,
        denominator,
        numerator,
        pending,
        value_pct,
        lower_ci95_pct,
        upper_ci95_pct,
        lower_ci998_pct,
        upper_ci998_pct,
        parent_region_code,
        case when not is_national then {{ compare_with('lower_ci95_pct', 'upper_ci95_pct', 'england_pct') }} end
            as compared_with_england_95,
        case when not is_national then {{ compare_with('lower_ci998_pct', 'upper_ci998_pct', 'england_pct') }} end
            as compared_with_england_998,
        case when geography_type = 'local_authority' then {{ compare_with('lower_ci95_pct', 'upper_ci95_pct', 'region_pct') }} end
            as compared_with_region_95,
        case when geography_type = 'local_authority' then {{ compare_with('lower_ci998_pct', 'upper_ci998_pct', 'region_pct') }} end
            as compared_with_region_998,
        recent_trend,
        case when is_national then exact_trend_chi_square end as trend_chi_square,
        trend_period_start,
        trend_period_end,
        period_label,
        period_sort_key,
        {{ join_notes(value_reason, 'count_hidden') }} as value_note
    from compared
)

select * from final
