{# 95% Wilson score interval for x successes in n trials, as a percentage (indicators.md s.1):
   (2x + z^2 -/+ z*sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)). NULL where n = 0. Dispatched so
   an engine with a native function can use it. #}
{% macro wilson_lower_pct(x, n, z=none) -%}
    {{ return(adapter.dispatch('wilson_bound_pct', 'continuity')(x, n, z if z is not none else var('wilson_z'), -1)) }}
{%- endmacro %}

{% macro wilson_upper_pct(x, n, z=none) -%}
    {{ return(adapter.dispatch('wilson_bound_pct', 'continuity')(x, n, z if z is not none else var('wilson_z'), 1)) }}
{%- endmacro %}

{% macro default__wilson_bound_pct(x, n, z, sign) -%}
    {#- in doubles on every engine (Spark would otherwise keep decimal literals in DECIMAL) -#}
    {%- set x = "cast(" ~ x ~ " as " ~ type_double() ~ ")" -%}
    {%- set n = "cast(" ~ n ~ " as " ~ type_double() ~ ")" -%}
    {%- set z = "cast(" ~ z ~ " as " ~ type_double() ~ ")" -%}
    {#- at x = 0 the lower bound is exactly 0 and at x = n the upper is exactly 100; computed,
        rounding leaves them a hair inside or outside, so they are set, and the rest clamped -#}
    case
        when {{ n }} > 0 and {{ x }} = {{ '(' ~ n ~ ')' if sign > 0 else '0' }} then {{ '100.0' if sign > 0 else '0.0' }}
        when {{ n }} > 0 then
        {{ 'least(100.0, ' if sign > 0 else 'greatest(0.0, ' }}
        100.0 * (2.0 * {{ x }} + {{ z }} * {{ z }}
                 {{ '+' if sign > 0 else '-' }} {{ z }} * sqrt({{ z }} * {{ z }} + 4.0 * {{ x }} * (1.0 - {{ x }} / {{ n }})))
        / (2.0 * ({{ n }} + {{ z }} * {{ z }})))
    end
{%- endmacro %}

{# A proportion as a percentage, NULL where the denominator is 0. #}
{% macro pct(x, n) -%}
    case when ({{ n }}) > 0 then 100.0 * cast({{ x }} as {{ type_double() }}) / ({{ n }}) end
{%- endmacro %}
