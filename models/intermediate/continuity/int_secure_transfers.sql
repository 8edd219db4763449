-- Secure episodes discharged "transferred - not in custody" (the discharge_reasons seed's
-- flag): the episodes C20 releases (int_releases) and recording problems 2 and 6 are chosen
-- from. The one place that flag is read.
with secure_episodes as (
    select * from {{ ref('stg_ndtms__secure_episodes') }}
),

discharge_reasons as (
    select * from {{ ref('discharge_reasons') }}
),

final as (
    select e.*
    from secure_episodes as e
    inner join discharge_reasons as d
        on e.discharge_reason_code = d.discharge_reason_code
    where d.is_transfer_not_in_custody
)

select * from final
