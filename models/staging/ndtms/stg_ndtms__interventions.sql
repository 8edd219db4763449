{{ config(unique_key='intervention_id') }}

with latest as (
    {{ latest_versions(source('ndtms', 'ndtms_interventions'), 'MODID', 'intervention_id') }}
),

final as (
    select
        {{ clean_text('MODID') }} as intervention_id,
        {{ clean_text('EPISODID') }} as episode_id,
        {{ clean_code('MODAL') }} as modality_code,
        {{ clean_date('REFMODDT') }} as referred_date,
        {{ clean_date('FAOMODDT') }} as first_appointment_offered_date,
        {{ clean_date('MODST') }} as start_date,
        {{ clean_date('MODEND') }} as end_date,
        {{ clean_code('MODEXIT') }} as exit_code,
        _extract_date as extract_date,
        _source_file as source_file,
        _line_number as line_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from latest
)

select * from final
