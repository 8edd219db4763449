with latest as (
    {{ latest_versions(source('er', 'er_contacts'), 'CONTID') }}
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
        _extract_date as extract_date
    from latest
)

select * from final
