{# Schemas are exactly the layer names (raw, staging, intermediate, marts, reference):
   users query marts.phof_c20, not main_marts.phof_c20. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
