{# Fingertips' comparison of a value's confidence interval with a reference value
   (indicators.md s.1, "Compared with England"): `Better` when the interval lies wholly above
   the reference, `Worse` when wholly below, `Similar` when it contains it (a bound equal to
   the reference counts as containing it), `Not compared` when the interval or the reference
   is missing (no value: denominator 0, or suppressed). For an indicator where lower is
   better, pass higher_is_better=false and Better/Worse swap. A pure expression: use it on
   any interval, exact or disclosure controlled. #}
{% macro compare_with(lower, upper, reference, higher_is_better=true) -%}
    case
        when ({{ lower }}) is null or ({{ upper }}) is null or ({{ reference }}) is null then 'Not compared'
        when ({{ lower }}) > ({{ reference }}) then '{{ "Better" if higher_is_better else "Worse" }}'
        when ({{ upper }}) < ({{ reference }}) then '{{ "Worse" if higher_is_better else "Better" }}'
        else 'Similar'
    end
{%- endmacro %}
