{{ config(unique_key='crn') }}

with latest as (
    {{ latest_versions(source('ndelius', 'ndelius_cases'), 'CRN', 'crn') }}
),

renamed as (
    select
        {{ clean_code('CRN') }} as crn,
        {{ clean_code('FINITIAL') }} as first_initial,
        {{ clean_code('SINITIAL') }} as surname_initial,
        {{ clean_date('DOB') }} as date_of_birth,
        {{ clean_code('SEX') }} as sex_code,
        {{ clean_code('GENDER') }} as gender_code,
        {{ clean_code('ETHNIC') }} as ethnic_code,
        {{ clean_code('DISABLE') }} as disability_code,
        {{ clean_code('PROBREG') }} as probation_region_code,
        {{ clean_code('MAPPACAT') }} as mappa_category,
        {{ clean_code('MAPPALVL') }} as mappa_level,
        {{ clean_code('ROSH') }} as rosh_code,
        {{ clean_code('ESTAB') }} as estab_code,
        {{ clean_date('RELDT') }} as release_date,
        {{ clean_code('UTLA') }} as utla_code,
        {{ clean_code('LSOA') }} as lsoa_code,
        {{ clean_code('ERPG') }} as er_priority_group,
        {{ clean_code('ERSITE') }} as er_site_code,
        {{ clean_date('ERREFDT') }} as er_referral_date,
        {{ clean_date('ERACCDT') }} as er_accepted_date,
        {{ clean_code('SMNEED') }} as substance_misuse_need_code,
        _extract_date as extract_date,
        _source_file as source_file,
        _line_number as line_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from latest
),

final as (
    select
        renamed.*,
        {{ attributor_key('first_initial', 'surname_initial', 'date_of_birth', 'sex_code') }} as attributor_key
    from renamed
)

select * from final
