-- indicators.md s.3: a funnel never grows. Every row of marts.audit_attrition has
-- transferred >= referral_received >= appointment_offered >= engaged, and a recording gap
-- never exceeds the step it sits beside. Returns the rows that break it; none is a pass.
select *
from {{ ref('audit_attrition') }}
where referral_received > transferred
   or appointment_offered > referral_received
   or engaged > appointment_offered
   or referral_recording_gap > referral_received
   or appointment_recording_gap > appointment_offered
