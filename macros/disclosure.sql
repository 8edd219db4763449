{# Disclosure control of the open and partner tiers (indicators.md s.4; docs/disclosure.md).
   The decision which count to hide is made once, by models/publication/disclosure/
   (disclosure_cells -> disclosure_relations -> disclosure_suppression); the models of the
   two tiers apply it with these macros. The warehouse's own marts keep every count.

   - disclosure_key(columns): the key of a published row, the same in every model.
   - disclosure_reasons(table_name, measures): a CTE body pivoting the decisions of one
     table to one row per published row, a <measure>_reason column per count ('shown',
     'small', 'protect', 'row').
   - disclosure_count(count, reason, national): a count as published: exact (or rounded when
     the stricter release rounds), NULL when hidden.
   - disclosure_is_rounded(): whether the stricter release (var disclosure_rounding_base > 1)
     is on.
   - disclosure_note(...): the value note of a published row.
   - value_note(key): the fixed text of a value note (var value_notes). #}

{% macro disclosure_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{% macro disclosure_reasons(table_name, measures) -%}
    select
        row_key,
        {% for measure in measures %}
        coalesce(max(case when measure = '{{ measure }}' then reason end), 'shown') as {{ measure }}_reason{{ ',' if not loop.last }}
        {% endfor %}
    from {{ ref('disclosure_suppression') }}
    where table_name = '{{ table_name }}'
    group by row_key
{%- endmacro %}

{% macro disclosure_is_rounded() -%}
    {{ return(var('disclosure_rounding_base') | int > 1) }}
{%- endmacro %}

{# A count as a reader sees it: NULL when hidden; rounded to the nearest
   disclosure_rounding_base (halves up) below national level in the stricter release; else
   the exact count. #}
{% macro disclosure_count(count, reason, national='false') -%}
    case
        when {{ reason }} <> 'shown' then cast(null as {{ dbt.type_bigint() }})
        {%- if disclosure_is_rounded() %}
        when not ({{ national }}) then
            cast(floor(cast({{ count }} as {{ type_double() }}) / {{ var('disclosure_rounding_base') }} + 0.5)
                 * {{ var('disclosure_rounding_base') }} as {{ dbt.type_bigint() }})
        {%- endif %}
        else {{ count }}
    end
{%- endmacro %}

{% macro value_note(key) -%}
    {%- set notes = var('value_notes') -%}
    {%- if key not in notes -%}
        {{ exceptions.raise_compiler_error("value_note: unknown key " ~ key ~ " (var value_notes)") }}
    {%- endif -%}
    '{{ notes[key] }}'
{%- endmacro %}

{# The value note of a published row: why its value is hidden (the row's base or value count
   hidden: small numbers, or to protect another cell), then the row's own note (no releases,
   partial period, provisional, ...), then one part per other hidden count of a row whose base
   is shown (`pending suppressed: small numbers`), then any `extra` parts (SQL expressions,
   NULL when they do not apply). Parts joined by '; '; NULL when none. #}
{% macro disclosure_note(base, value, others=[], status='null', extra=[]) -%}
    {%- set parts = [] -%}
    {%- set why -%}
        case
            when {{ base }}_reason = 'small' then {{ value_note('suppressed') }}
            when {{ base }}_reason = 'protect' then {{ value_note('suppressed_to_protect') }}
            {%- if value %}
            when {{ value }}_reason = 'small' then {{ value_note('suppressed') }}
            when {{ value }}_reason = 'protect' then {{ value_note('suppressed_to_protect') }}
            {%- endif %}
        end
    {%- endset -%}
    {%- do parts.append(why) -%}
    {%- do parts.append(status) -%}
    {%- for other in others -%}
        {%- set part -%}
            case
                when {{ base }}_reason <> 'shown' then null
                when {{ other }}_reason = 'small' then '{{ other.split('.')[-1] }} ' || {{ value_note('count_suppressed') }}
                when {{ other }}_reason = 'protect' then '{{ other.split('.')[-1] }} ' || {{ value_note('count_suppressed_to_protect') }}
            end
        {%- endset -%}
        {%- do parts.append(part) -%}
    {%- endfor -%}
    {%- for part in extra %}{% do parts.append(part) %}{% endfor -%}
    {{ return(adapter.dispatch('join_parts', 'continuity')(parts, '; ')) }}
{%- endmacro %}

{# Non-NULL parts joined by a separator; NULL when every part is NULL. #}
{% macro default__join_parts(parts, separator) -%}
    nullif(concat_ws('{{ separator }}'{% for part in parts %}, {{ part }}{% endfor %}), '')
{%- endmacro %}
