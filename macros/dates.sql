{# Age in completed years on a date; the birthday itself counts (indicators.md s.1). A 29
   February birthday is reached on 1 March in a non-leap year. #}
{% macro age_in_years(date_of_birth, on_date) -%}
    (extract(year from {{ on_date }}) - extract(year from {{ date_of_birth }})
     - case when extract(month from {{ on_date }}) * 100 + extract(day from {{ on_date }})
                 < extract(month from {{ date_of_birth }}) * 100 + extract(day from {{ date_of_birth }})
            then 1 else 0 end)
{%- endmacro %}

{# Adds a number of days/months to a date and keeps the result a date on every engine. #}
{% macro add_to_date(datepart, interval, date_expr) -%}
    cast({{ dbt.dateadd(datepart, interval, date_expr) }} as date)
{%- endmacro %}

{# Start (1 April) of the financial year holding a date. #}
{% macro financial_year_start(date_expr) -%}
    {{ add_to_date('month', 3, dbt.date_trunc('year', add_to_date('month', -3, date_expr))) }}
{%- endmacro %}

{# The financial year holding a date as the calendar year it starts in (2023 for 2023/24): a
   number to join and compare on where the label would be computed for millions of rows. #}
{% macro financial_year_number(date_expr) -%}
    extract(year from {{ add_to_date('month', -3, date_expr) }})
{%- endmacro %}

{# Label of the financial year holding a date as Fingertips writes it, e.g. 2023/24: the one
   year label of every table (fingertips_period_label below gives the same for a period). #}
{% macro financial_year_label(date_expr) -%}
    {%- set y = financial_year_number(date_expr) -%}
    {{ dbt.concat([as_text(y), "'/'", dbt.right(as_text(y ~ " + 1"), "2")]) }}
{%- endmacro %}

{# Last day of the calendar quarter holding a date. #}
{% macro quarter_end(date_expr) -%}
    {{ add_to_date('day', -1, dbt.dateadd('month', 3, dbt.date_trunc('quarter', date_expr))) }}
{%- endmacro %}

{# Three-letter English month name of a date (Jan .. Dec), without engine date formats. #}
{% macro month_abbreviation(date_expr) -%}
    case extract(month from {{ date_expr }})
    {%- for name in ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] %}
        when {{ loop.index }} then '{{ name }}'
    {%- endfor %}
    end
{%- endmacro %}

{# A period as Fingertips writes it: a financial year starting in 2023 is `2023/24`; any other
   period is `Jan 2024 - Dec 2024` (first and last month). #}
{% macro fingertips_period_label(period_type, period_start, period_end) -%}
    case when {{ period_type }} = 'financial_year' then
        {{ dbt.concat([as_text("extract(year from " ~ period_start ~ ")"), "'/'",
                       dbt.right(as_text("extract(year from " ~ period_start ~ ") + 1"), "2")]) }}
    else
        {{ dbt.concat([month_abbreviation(period_start), "' '", as_text("extract(year from " ~ period_start ~ ")"),
                       "' - '", month_abbreviation(period_end), "' '", as_text("extract(year from " ~ period_end ~ ")")]) }}
    end
{%- endmacro %}

{# The number of the `days`-long block of days holding a date, counted from 1 January 2000
   (earlier dates give negative numbers). Two dates at most `days` apart are in the same or
   neighbouring blocks, so a join "within `days` days" can first match on the block. #}
{% macro day_block(date_expr, days) -%}
    cast(floor({{ dbt.datediff("cast('2000-01-01' as date)", date_expr, 'day') }} / {{ days }}.0) as integer)
{%- endmacro %}

{# A running number of calendar quarters (year * 4 + quarter - 1): consecutive quarters differ by 1. #}
{% macro quarter_index(date_expr) -%}
    cast(extract(year from {{ date_expr }}) * 4 + floor((extract(month from {{ date_expr }}) - 1) / 3) as {{ dbt.type_bigint() }})
{%- endmacro %}

{# Whether a date falls within the engagement window of an anchor date (a prison exit, a
   triage): from the anchor day to `engagement_window_days` days after it, or, with
   before=true, from that many days before it (indicators.md s.1-s.2). The one place the
   window is applied; the models say which dates it joins. #}
{% macro within_window(date_expr, anchor, before=false) -%}
    ({{ date_expr }} >= {{ add_to_date('day', -var('engagement_window_days'), anchor) if before else 'cast(' ~ anchor ~ ' as date)' }}
     and {{ date_expr }} <= {{ add_to_date('day', var('engagement_window_days'), anchor) }})
{%- endmacro %}
