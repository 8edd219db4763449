-- The warehouse value note of each C20 row (indicators.md s.4), a reason the value is not a
-- plain, final figure, other than disclosure control (which the publication layer adds):
-- no releases (denominator 0 and nothing pending), partial period (the period starts before
-- the earliest data), provisional (releases still pending). One note per row, in that order
-- of precedence; NULL when none applies. The texts are var('c20_value_notes').
with counts as (select * from {{ ref('int_c20_counts') }}),
period_labels as (select * from {{ ref('int_c20_period_labels') }}),

final as (
    select
        c.period_type,
        c.period_start,
        c.geography_type,
        c.geography_code,
        case
            when c.denominator = 0 and c.pending = 0 then '{{ var("c20_value_notes")["no_releases"] }}'
            when l.is_partial_period then '{{ var("c20_value_notes")["partial_period"] }}'
            when c.pending > 0 then '{{ var("c20_value_notes")["provisional"] }}'
        end as value_note
    from counts as c
    left join period_labels as l
        on c.period_type = l.period_type and c.period_start = l.period_start
)

select * from final
