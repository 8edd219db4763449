{# How staging reads a contract field (extracts.md): trimmed, empty = missing; codes and
   initials also upper-cased. Raw keeps the values as written. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{% macro clean_code(column) -%}
    nullif(upper(trim({{ column }})), '')
{%- endmacro %}

{% macro clean_date(column) -%}
    cast(nullif(trim({{ column }}), '') as date)
{%- endmacro %}

{% macro clean_number(column) -%}
    cast(nullif(trim({{ column }}), '') as {{ dbt.type_float() }})
{%- endmacro %}

{# The matching key of indicators.md s.1: FINITIAL, SINITIAL, DOB, SEX, exact after trimming
   and upper-casing. Built from already-clean columns. #}
{% macro attributor_key(first_initial, surname_initial, date_of_birth, sex_code) -%}
    {{ dbt.concat([first_initial, "'|'", surname_initial, "'|'",
                   "cast(" ~ date_of_birth ~ " as " ~ dbt.type_string() ~ ")", "'|'", sex_code]) }}
{%- endmacro %}

{# Latest valid version per key (extracts.md): newest extract date wins, then the newest load,
   then the later line. Use as: where {{ latest_version_rank('EPISODID') }} = 1 in a subquery. #}
{% macro latest_version_rank(key_column) -%}
    row_number() over (
        partition by trim({{ key_column }})
        order by _extract_date desc, _loaded_at desc, _source_file desc, _line_number desc
    )
{%- endmacro %}
