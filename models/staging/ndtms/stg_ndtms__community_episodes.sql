{{ config(unique_key='episode_id') }}

with latest as (
    {{ latest_versions(source('ndtms', 'ndtms_community'), 'EPISODID', 'episode_id') }}
),

renamed as (
    select
        {{ clean_text('EPISODID') }} as episode_id,
        {{ clean_code('AGNCY') }} as agency_code,
        {{ clean_text('CLIENT') }} as client_ref,
        {{ clean_code('FINITIAL') }} as first_initial,
        {{ clean_code('SINITIAL') }} as surname_initial,
        {{ clean_date('DOB') }} as date_of_birth,
        {{ clean_code('SEX') }} as sex_code,
        {{ clean_code('GENDER') }} as gender_code,
        {{ clean_code('ETHNIC') }} as ethnic_code,
        {{ clean_code('DISABLE') }} as disability_code,
        {{ clean_code('UTLA') }} as utla_code,
        {{ clean_code('LSOA') }} as lsoa_code,
        {{ clean_date('REFLD') }} as referral_date,
        {{ clean_code('RFLS') }} as referral_source_code,
        {{ clean_date('TRIAGED') }} as triage_date,
        {{ clean_code('DRUG1') }} as drug1_code,
        {{ clean_code('DRUG2') }} as drug2_code,
        {{ clean_code('DRUG3') }} as drug3_code,
        {{ clean_date('DISD') }} as discharge_date,
        {{ clean_code('DISRSN') }} as discharge_reason_code,
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
