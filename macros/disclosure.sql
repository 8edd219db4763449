{# Disclosure control of the open publication (indicators.md s.4; docs/disclosure.md).
   One implementation, used by every model under models/publication/. The warehouse's own
   tables (marts) keep exact counts; the publication copies only these controlled models.

   - disclosure_is_small(count): a count of 1 .. disclosure_min_count - 1 (primary suppression).
   - disclosure_rounded(count): to the nearest disclosure_rounding_base, halves up (8 -> 10,
     12 -> 10, 13 -> 15).
   - disclosure_secondary(count, primary, national, partition_by, order_by): within one group
     of cells that add up to a published total (partition_by), when exactly one cell is
     primary-suppressed, the smallest other non-zero cell (ties: the first by order_by), or
     a zero cell when every other cell is zero, so the first cannot be recovered by
     subtraction. `national` marks the total's own row(s),
     which are never chosen and never counted.
   - value_note(key): the fixed text of a value note (var value_notes).
   Rates, means, intervals and standard deviations shown beside controlled counts are
   computed by each model from the controlled (rounded) counts, never from the exact ones. #}

{% macro disclosure_is_small(count) -%}
    ({{ count }} >= 1 and {{ count }} < {{ var('disclosure_min_count') }})
{%- endmacro %}

{% macro disclosure_rounded(count) -%}
    cast(floor(cast({{ count }} as {{ type_double() }}) / {{ var('disclosure_rounding_base') }} + 0.5)
         * {{ var('disclosure_rounding_base') }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro disclosure_secondary(count, primary, national, partition_by, order_by) -%}
    {%- set candidate -%}
        (not ({{ national }}) and not ({{ primary }}))
    {%- endset -%}
    (
        {{ candidate }}
        and sum(case when ({{ primary }}) and not ({{ national }}) then 1 else 0 end)
            over (partition by {{ partition_by }}) = 1
        and row_number() over (
            partition by {{ partition_by }}, case when {{ candidate }} then 1 else 0 end
            order by case when {{ count }} > 0 then 0 else 1 end, {{ count }}, {{ order_by }}
        ) = 1
    )
{%- endmacro %}

{# A count as published: exact at national level, NULL (shown as *) when hidden, else rounded. #}
{% macro disclosure_shown(count, hidden, national) -%}
    case
        when {{ national }} then {{ count }}
        when {{ hidden }} then cast(null as {{ dbt.type_bigint() }})
        else {{ disclosure_rounded(count) }}
    end
{%- endmacro %}

{% macro value_note(key) -%}
    {%- set notes = var('value_notes') -%}
    {%- if key not in notes -%}
        {{ exceptions.raise_compiler_error("value_note: unknown key " ~ key ~ " (var value_notes)") }}
    {%- endif -%}
    '{{ notes[key] }}'
{%- endmacro %}

{# The value note of a published row: first why its value is not a number (or may change),
   then, if a count of the row is hidden while its value is not, that count's reason. #}
{% macro join_notes(value_reason, count_hidden) -%}
    case
        when ({{ value_reason }}) is not null and ({{ count_hidden }})
             and ({{ value_reason }}) <> {{ value_note('suppressed') }}
            then ({{ value_reason }}) || '; ' || {{ value_note('suppressed') }}
        when ({{ value_reason }}) is not null then ({{ value_reason }})
        when ({{ count_hidden }}) then {{ value_note('suppressed') }}
    end
{%- endmacro %}
