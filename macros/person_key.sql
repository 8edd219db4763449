{# Pseudonymous person key: HMAC-SHA256 of the attributor key with CONTINUITY_PSEUDO_KEY
   (indicators.md s.6). On DuckDB the function is registered by the pipelines.pseudonymise
   dbt-duckdb plugin; on Spark register the same Python function as a UDF of that name. #}
{% macro person_key(attributor_key) -%}
    {{ return(adapter.dispatch('person_key', 'continuity')(attributor_key)) }}
{%- endmacro %}

{% macro default__person_key(attributor_key) -%}
    continuity_person_key({{ attributor_key }})
{%- endmacro %}
