-- The IMD decile of each LSOA 2011 that the models use: the official IoD2019 File 7 when
-- `continuity imd` has loaded it into this warehouse (reference.imd_file7, checked whole by
-- pipelines/imd.py), else the tracked sample seed (seeds/imd.csv, the generator's LSOAs).
-- The user's file lives in the warehouse, never in the source tree. A view: a few thousand rows.
{{ config(materialized='view') }}
{%- set file7 = adapter.get_relation(database=target.database, schema='reference', identifier='imd_file7')
    if execute else none %}
with sample as (
    select * from {{ ref('imd') }}
),

{% if file7 is not none %}
official as (
    select * from {{ file7 }}
),
{% endif %}

final as (
    select
        cast(lsoa_code as {{ dbt.type_string() }}) as lsoa_code,
        cast(imd_decile as integer) as imd_decile
    from {{ 'official' if file7 is not none else 'sample' }}
)

select * from final
