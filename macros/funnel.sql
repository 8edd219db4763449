{# Funnel plot control limit, as a percentage, around a target proportion for a denominator
   n (docs/methodology.md, "Funnel plot limits"): the observed percentage at which the
   Wilson score interval at this z just touches the target, which is
   target -/+ z * sqrt(target (1 - target) / n), clamped to 0-100. This is the control limit
   PHEindicatormethods' funnel functions compute for proportions (phe_funnels,
   phe_funnel_significance, its sigma_adjustment), so a point lies outside the limit exactly
   when its own Wilson interval excludes the target. target_pct is a percentage; NULL where
   n = 0 or the target is NULL. sign = -1 for the lower limit, 1 for the upper. #}
{% macro funnel_limit_pct(target_pct, n, z, sign) -%}
    {%- set p = "(cast(" ~ target_pct ~ " as " ~ type_double() ~ ") / 100.0)" -%}
    {%- set n = "cast(" ~ n ~ " as " ~ type_double() ~ ")" -%}
    {%- set z = "cast(" ~ z ~ " as " ~ type_double() ~ ")" -%}
    case when {{ n }} > 0 then
        {{ 'least(100.0, ' if sign > 0 else 'greatest(0.0, ' }}
        100.0 * ({{ p }} {{ '+' if sign > 0 else '-' }} {{ z }} * sqrt({{ p }} * (1.0 - {{ p }}) / {{ n }})))
    end
{%- endmacro %}

{# Where a point lies against its funnel limits: `above`, `below` or `inside` (a value on a
   limit is inside); NULL when it has no value or no limits. #}
{% macro funnel_position(value, lower_limit, upper_limit) -%}
    case
        when ({{ value }}) is null or ({{ lower_limit }}) is null or ({{ upper_limit }}) is null then null
        when ({{ value }}) > ({{ upper_limit }}) then 'above'
        when ({{ value }}) < ({{ lower_limit }}) then 'below'
        else 'inside'
    end
{%- endmacro %}

{# The four control limits of a funnel point (95% and 99.8%, lower and upper) around
   target_pct for denominator n, as the columns every funnel table carries. #}
{% macro funnel_limit_columns(target_pct, n) -%}
    {{ funnel_limit_pct(target_pct, n, var('wilson_z'), -1) }} as lower_limit_95_pct,
    {{ funnel_limit_pct(target_pct, n, var('wilson_z'), 1) }} as upper_limit_95_pct,
    {{ funnel_limit_pct(target_pct, n, var('wilson_z_998'), -1) }} as lower_limit_998_pct,
    {{ funnel_limit_pct(target_pct, n, var('wilson_z_998'), 1) }} as upper_limit_998_pct
{%- endmacro %}
