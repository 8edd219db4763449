{# An Enhanced RECONNECT outcome window is still open (indicators.md s.5): the person is not
   yet released, or the window's last day is after the latest extract date. #}
{% macro er_window_open(window_end) -%}
    (release_date is null or latest_extract_date is null or {{ window_end }} > latest_extract_date)
{%- endmacro %}
