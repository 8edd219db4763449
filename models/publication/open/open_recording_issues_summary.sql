-- The recording problems of the open tier: England's rows of the partner tier's
-- recording_issues_summary (the national count of each problem each year; they name no
-- provider), hidden as disclosure_suppression decided.
with summary as (
    select * from {{ ref('partner_recording_issues_summary') }}
),

final as (
    select *
    from summary
    where provider_role = 'england'
)

select * from final
