{# An 8-byte floating-point type on every engine. dbt's type_float() is `float`, which is a
   4-byte REAL on DuckDB and Spark (8-byte only on Postgres), so rates, means and intervals
   computed in it differ between engines in the 7th digit. On Spark, decimal literals such
   as 100.0 would also keep arithmetic in DECIMAL, whose division rounds; casting one operand
   to double keeps every rule in IEEE doubles on both engines. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'continuity')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
