{# Which of n buckets a value falls in (0 .. n-1), the same bucket for equal values and a
   null in one bucket: splits a large grouping into n smaller ones that each fit in memory.
   The hash differs by engine; only its consistency within one query matters. #}
{% macro hash_bucket(expr, n) -%}
    {{ return(adapter.dispatch('hash_bucket', 'continuity')(expr, n)) }}
{%- endmacro %}

{% macro default__hash_bucket(expr, n) -%}
    coalesce(abs(hashtext({{ expr }})) % {{ n }}, 0)
{%- endmacro %}

{% macro duckdb__hash_bucket(expr, n) -%}
    coalesce(hash({{ expr }}) % {{ n }}, 0)
{%- endmacro %}

{% macro spark__hash_bucket(expr, n) -%}
    coalesce(pmod(hash({{ expr }}), {{ n }}), 0)
{%- endmacro %}
