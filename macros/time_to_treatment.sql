{# The days the time-to-treatment curve is reported at, as a relation with one column: every
   day of var('time_to_treatment_days') up to var('time_to_treatment_horizon_days') (a day
   past the end of follow-up has no estimate). #}
{% macro time_to_treatment_report_days(column='day') -%}
    {%- set days = [] -%}
    {%- for k in var('time_to_treatment_days') if k <= var('time_to_treatment_horizon_days') -%}
        {%- do days.append(k) -%}
    {%- endfor -%}
    {%- for k in days %}
    select {{ k }} as {{ column }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
