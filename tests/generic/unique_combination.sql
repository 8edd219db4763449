{# Generic test: the combination of columns is unique (as dbt_utils.unique_combination_of_columns
   does; dbt hub packages are not reachable here). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
