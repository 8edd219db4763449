{# Any value as text, for readable detail strings, on every engine. #}
{% macro as_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}
