{# A SQL list literal from a var holding a list of codes: ('HLTH', 'MH', 'SMT'). #}
{% macro in_list(values) -%}
    ('{{ values | join("', '") }}')
{%- endmacro %}
