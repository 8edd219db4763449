{# Age band from var('age_bands'): [[low, high, label], ...], inclusive bounds. #}
{% macro age_band(age) -%}
    case
    {%- for low, high, label in var('age_bands') %}
        when {{ age }} between {{ low }} and {{ high }} then '{{ label }}'
    {%- endfor %}
    end
{%- endmacro %}
