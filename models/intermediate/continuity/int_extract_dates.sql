-- The dates that close windows: a release is judged only once its 21-day window has closed
-- by the latest NDTMS extract date; ER outcomes use the latest date across all extracts.
with loaded_files as (
    select * from {{ source('ingest', 'loaded_files') }}
),

final as (
    select
        max(case when extract in ('ndtms_secure', 'ndtms_community', 'ndtms_interventions')
                 then extract_date end) as latest_ndtms_extract_date,
        max(extract_date) as latest_extract_date
    from loaded_files
)

select * from final
