with latest as (
    {{ latest_versions(source('ndelius', 'ndelius_oasys'), 'ASSID') }}
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
        _extract_date as extract_date
    from latest
)

select * from final
