-- The warehouse value note of each C20 row (indicators.md s.4), a reason the value is not a
-- plain, final figure, other than disclosure control (which the publication layer adds):
-- no releases (denominator 0 and nothing pending), partial period (the period starts before
-- the earliest data), provisional (every release, or some releases, still pending). One note
-- per row, in that order of precedence; NULL when none applies. The texts are the var
-- value_notes, shared with the open publication (macros/disclosure.sql).
with counts as (select * from {{ ref('int_c20_counts') }}),
period_labels as (select * from {{ ref('int_c20_period_labels') }}),

final as (
    select
        c.period_type,
        c.period_start,
        c.geography_type,
        c.geography_code,
        case
            when c.denominator = 0 and c.pending = 0 then {{ value_note('no_releases') }}
            when l.is_partial_period then {{ value_note('partial_period') }}
            when c.denominator = 0 then {{ value_note('all_pending') }}
            when c.pending > 0 then {{ value_note('provisional') }}
        end as value_note
    from counts as c
    left join period_labels as l
        on c.period_type = l.period_type and c.period_start = l.period_start
)

select * from final
