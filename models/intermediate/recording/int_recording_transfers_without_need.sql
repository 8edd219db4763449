-- Recording problem 2 (indicators.md s.2): a secure episode discharged "transferred - not in
-- custody" although its referral on release (RORSTAT) says recovery support only or no onward
-- referral: a transfer code should mean a structured treatment need. Fix: prison provider.
with transfers as (select * from {{ ref('int_secure_transfers') }}),

final as (
    select
        'transferred_without_structured_need' as issue_type,
        e.agency_code as provider_code,
        e.episode_id as record_id,
        cast(null as {{ dbt.type_string() }}) as related_record_id,
        cast(null as {{ dbt.type_string() }}) as release_id,
        coalesce(e.discharge_date, e.prison_exit_date) as event_date,
        {{ dbt.concat(["'discharged transferred - not in custody'",
                       "coalesce(' on ' || " ~ as_text('e.discharge_date') ~ ", '')",
                       "' but referral on release (RORSTAT) is '", "e.referral_on_release_code",
                       "case e.referral_on_release_code when '3' then ' (recovery support only)' else ' (no onward referral)' end"]) }} as detail,
        false as fix_would_engage
    from transfers as e
    where e.referral_on_release_code in ('{{ var("no_structured_referral_codes") | join("', '") }}')
)

select * from final
