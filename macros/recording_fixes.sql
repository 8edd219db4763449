{# The recording problem types whose fix can move a release into the C20 numerator (the only
   ones that set fix_would_engage: problem 1's listed pairs and problem 3), in the order their
   `<type>_problems` columns appear. A data test on int_recording_issues fails when another
   type sets fix_would_engage, so a new one is added here. #}
{% macro recording_fix_types() -%}
    {{ return(['attributor_mismatch', 'exit_date_after_triage']) }}
{%- endmacro %}
