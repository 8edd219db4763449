{{ config(unique_key='contact_id') }}

with latest as (
    {{ latest_versions(source('er', 'er_contacts'), 'CONTID', 'contact_id') }}
),

final as (
    select
        {{ clean_text('CONTID') }} as contact_id,
        {{ clean_code('CRN') }} as crn,
        {{ clean_date('CONTDT') }} as contact_date,
        {{ clean_code('CONTTYPE') }} as contact_type,
        {{ clean_code('ATTENDED') }} = 'Y' as attended,
        {{ clean_code('NEEDMET') }} as need_met_code,
        cast({{ clean_number('WEMWBS') }} as integer) as wemwbs_score,
        _extract_date as extract_date,
        _source_file as source_file,
        _line_number as line_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from latest
)

select * from final
