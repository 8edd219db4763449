-- marts.phof_c20 as published (indicators.md s.4): below England, counts of 1-7 hidden,
-- other counts rounded to 5, one more cell hidden where a single hidden cell of a period and
-- geography type could be recovered from England's total, and the rate and interval
-- recomputed from the rounded counts (or hidden with them), so no published figure undoes
-- the rounding. England is shown exact. Every value that is not a number has a value note.
with c20 as (
    select * from {{ ref('phof_c20') }}
),

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
        period_type,
        period_start,
        period_end,
        geography_type,
        geography_code,
        geography_name,
        is_national,
        {{ disclosure_shown('denominator', 'denominator_hidden', 'is_national') }} as denominator,
        {{ disclosure_shown('numerator', 'numerator_hidden or denominator_hidden', 'is_national') }} as numerator,
        {{ disclosure_shown('pending', 'pending_hidden', 'is_national') }} as pending,
        not is_national and (denominator_hidden or numerator_hidden) as value_hidden,
        not is_national and (denominator_hidden or numerator_hidden or pending_hidden) as count_hidden,
        value_pct as exact_value_pct,
        lower_ci95_pct as exact_lower_ci95_pct,
        upper_ci95_pct as exact_upper_ci95_pct,
        pending as exact_pending,
        denominator as exact_denominator
    from hidden
),

{% set value_reason -%}
    case
        when value_hidden then {{ value_note('suppressed') }}
        when exact_denominator = 0 and exact_pending > 0 then {{ value_note('all_pending') }}
        when exact_denominator = 0 then {{ value_note('no_releases') }}
        when exact_pending > 0 then {{ value_note('provisional') }}
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
        case
            when is_national then exact_value_pct
            when not value_hidden then {{ pct('numerator', 'denominator') }}
        end as value_pct,
        case
            when is_national then exact_lower_ci95_pct
            when not value_hidden then {{ wilson_lower_pct('numerator', 'denominator') }}
        end as lower_ci95_pct,
        case
            when is_national then exact_upper_ci95_pct
            when not value_hidden then {{ wilson_upper_pct('numerator', 'denominator') }}
        end as upper_ci95_pct,
        {{ join_notes(value_reason, 'count_hidden') }} as value_note
    from shown
)

select * from final
