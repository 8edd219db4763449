{#- dbt-spark's column comment (views persist their columns' descriptions, and Spark carries a
    view column's comment into every table selected from it), with each description cut to the
    256 characters a Hive metastore holds (COLUMNS_V2.COMMENT): the Thrift server's embedded
    metastore refuses a longer one and the model fails. The full text stays in the dbt docs. -#}
{% macro get_column_comment_sql(column_name, column_dict) -%}
  {%- set column_comment_clause = "" -%}
  {%- if column_name in column_dict and column_dict[column_name]["description"] -%}
    {%- set description = column_dict[column_name]["description"] -%}
    {%- if description | length > 256 -%}
      {%- set description = description[:255] ~ "…" -%}
    {%- endif -%}
    {%- set column_comment_clause = "comment '" ~ (description | replace("'", "\\'")) ~ "'" -%}
  {%- endif -%}
  {{ adapter.quote(column_name) }} {{ column_comment_clause }}
{%- endmacro %}
