-- C20 if the records were right, as the open tier publishes it: the rows of the partner tier's
-- c20_recording_adjusted that name no provider (England, regions, local authorities: provider
-- role `all`), hidden as disclosure_suppression decided.
with adjusted as (
    select * from {{ ref('partner_c20_recording_adjusted') }}
),

final as (
    select *
    from adjusted
    where provider_role = 'all'
)

select * from final
