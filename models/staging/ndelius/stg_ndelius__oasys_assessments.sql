{{ config(unique_key='assessment_id') }}

with latest as (
    {{ latest_versions(source('ndelius', 'ndelius_oasys'), 'ASSID', 'assessment_id') }}
),

final as (
    select
        {{ clean_text('ASSID') }} as assessment_id,
        {{ clean_code('CRN') }} as crn,
        {{ clean_date('ASSDT') }} as assessment_date,
        {{ clean_number('OGRS3') }} as ogrs3_pct,
        {{ clean_number('OVP') }} as ovp_pct,
        {{ clean_number('RSR') }} as rsr_pct,
        {{ clean_code('ROSH') }} as rosh_code,
        _extract_date as extract_date,
        _source_file as source_file,
        _line_number as line_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from latest
)

select * from final
