{{ config(tags=['code_check']) }}
-- type_double() is an 8-byte double on every engine (dbt's type_float() is a 4-byte REAL on
-- DuckDB and Spark). 2^24 + 1 = 16777217 is the first integer a 4-byte float cannot hold (it
-- rounds to 16777216), and 0.1 + 0.2 in doubles is 0.30000000000000004, not 0.3 exactly.
-- Returns the failing cases; none is a pass.
-- a check on int_c20_counts in Dagster (C20's rates are computed in type_double)
{{ config(meta={'dagster': {'ref': {'name': 'int_c20_counts'}}}) }}
with computed as (
    select
        cast('16777217' as {{ type_double() }}) as big_integer,
        cast('0.1' as {{ type_double() }}) + cast('0.2' as {{ type_double() }}) as tenths
)

select *
from computed
where big_integer - 16777216 <> 1
   or tenths = cast('0.3' as {{ type_double() }})
