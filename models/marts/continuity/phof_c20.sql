-- PHOF 2.16 / C20 for every reporting period and geography (indicators.md s.1): England,
-- every region and every English upper-tier LA of the reference table (0 denominators give
-- NULL value and interval), and every prison in the reference table or with releases.
-- Pending releases count in neither numerator nor denominator. The first twelve columns are
-- the original contract; the Fingertips-style columns (99.8% interval, comparisons, recent
-- trend, period label, value note) are appended after them, each from its own model.
with counts as (select * from {{ ref('int_c20_counts') }}),
comparisons as (select * from {{ ref('int_c20_comparisons') }}),
trends as (select * from {{ ref('int_c20_trends') }}),
period_labels as (select * from {{ ref('int_c20_period_labels') }}),
value_notes as (select * from {{ ref('int_c20_value_notes') }}),

final as (
    select
        c.period_type,
        c.period_start,
        c.period_end,
        c.geography_type,
        c.geography_code,
        c.geography_name,
        c.denominator,
        c.numerator,
        c.pending,
        c.value_pct,
        c.lower_ci95_pct,
        c.upper_ci95_pct,
        c.lower_ci998_pct,
        c.upper_ci998_pct,
        c.parent_region_code,
        cmp.compared_with_england_95,
        cmp.compared_with_england_998,
        cmp.compared_with_region_95,
        cmp.compared_with_region_998,
        t.recent_trend,
        t.trend_chi_square,
        t.trend_period_start,
        t.trend_period_end,
        l.period_label,
        l.period_sort_key,
        v.value_note
    from counts as c
    left join comparisons as cmp
        on c.period_type = cmp.period_type and c.period_start = cmp.period_start
       and c.geography_type = cmp.geography_type and c.geography_code = cmp.geography_code
    left join trends as t
        on c.period_type = t.period_type and c.period_start = t.period_start
       and c.geography_type = t.geography_type and c.geography_code = t.geography_code
    left join period_labels as l
        on c.period_type = l.period_type and c.period_start = l.period_start
    left join value_notes as v
        on c.period_type = v.period_type and c.period_start = v.period_start
       and c.geography_type = v.geography_type and c.geography_code = v.geography_code
)

select * from final
