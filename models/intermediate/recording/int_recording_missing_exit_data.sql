-- Recording problem 6 (indicators.md s.2): a "transferred - not in custody" discharge with
-- no PRISEXDT or no EXITDEST, or an EXITDEST not in the local_authorities table (a release
-- to it cannot get a local-authority row). Fix: prison provider.
with transfers as (select * from {{ ref('int_secure_transfers') }}),
local_authorities as (select * from {{ ref('local_authorities') }}),

final as (
    select
        'missing_exit_data' as issue_type,
        e.agency_code as provider_code,
        e.episode_id as record_id,
        cast(null as {{ dbt.type_string() }}) as related_record_id,
        cast(null as {{ dbt.type_string() }}) as release_id,
        coalesce(e.prison_exit_date, e.discharge_date) as event_date,
        case
            when e.prison_exit_date is null and e.exit_la_code is null then 'no prison exit date (PRISEXDT) and no exit destination (EXITDEST)'
            when e.prison_exit_date is null then 'no prison exit date (PRISEXDT)'
            when e.exit_la_code is null then 'no exit destination (EXITDEST)'
            else {{ dbt.concat(["'exit destination '", "e.exit_la_code", "' is not an upper-tier local authority of the reference table'"]) }}
        end as detail,
        false as fix_would_engage
    from transfers as e
    left join local_authorities as la on e.exit_la_code = la.la_code
    where (e.prison_exit_date is null or e.exit_la_code is null or la.la_code is null)
)

select * from final
