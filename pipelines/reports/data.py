"""The figures the reports show, read through a tier (pipelines/reports/tiers.py) as
published: the open tier's for the slide pack, profiles and easy-read, the partner tier's for
the partner pack. Nothing here computes a figure a table already gives."""

from __future__ import annotations

from pipelines.disclosure import Rules
from pipelines.reports.labels import is_provisional
from pipelines.reports.tiers import Tier


def gather(tier: Tier, rules: Rules) -> dict:
    """The figures the open slide pack and easy-read show, read from the open tier as published.
    England's years are those whose rate is shown (a small national count is hidden like any
    other: then the latest year shown is the one the pack speaks of)."""
    national = tier.query(
        "select period_start, period_end, period_label, numerator, denominator, pending, value_pct, lower_ci95_pct, "
        "upper_ci95_pct, value_note, recent_trend from marts.phof_c20 where geography_type = 'england' "
        "and period_type = 'financial_year' and value_pct is not null order by period_start",
    )
    latest = national["period_start"].max() if national.height else None
    data = {"national": national, "latest": latest, "rules": rules}
    if latest is None:
        return data
    data["latest_label"] = national.row(-1, named=True)["period_label"]
    closed = [r for r in national.iter_rows(named=True) if not is_provisional(r["value_note"], rules)]
    if closed and tier.has("time_to_treatment"):
        # England's and the regions' time to treatment, the latest closed financial year
        data["closed_label"] = closed[-1]["period_label"]
        data["waits"] = tier.query(
            "select geography_type, geography_code, geography_name, day, releases_followed, started, at_risk, "
            "started_pct, lower_ci95_pct, upper_ci95_pct, median_days_to_start, value_note "
            "from marts.time_to_treatment where period_type = 'financial_year' and period_start = ? "
            "and geography_type in ('england', 'region') order by geography_type, geography_name, day",
            closed[-1]["period_start"],
        )
    return data | {
        "las": tier.query(
            "select * from marts.phof_c20_funnel where geography_type = 'local_authority' "
            "and period_type = 'financial_year' and period_start = ? and value_pct is not null "
            "order by geography_code",
            latest,
        ),
        # England's rows, as the open tier publishes them: the latest financial year's, per problem
        "problems": tier.query(
            "select financial_year, issue_type, issues, releases_affected, releases_would_engage, value_note "
            "from marts.recording_issues_summary where provider_role = 'england' "
            "and financial_year = (select max(financial_year) from marts.recording_issues_summary "
            "where provider_role = 'england') order by issues desc nulls last, issue_type",
        ),
        "inequality": tier.query(
            "select variable, category, n, mean, lower_ci95, upper_ci95, value_note from marts.inequality_breakdowns "
            "where outcome = 'engaged_within_21_days' and not adjusted and mean is not null "
            "and variable in ('total', 'age_band', 'sex', 'ethnic_group', 'imd_quintile') order by variable, category",
        ),
    }


def gather_partner(tier: Tier, rules: Rules, latest, latest_label: str) -> dict:
    """The figures of the partner slide pack, read from the partner tier as published: every
    published prison-to-area flow of the latest year ranked by size (a hidden rate too), the
    attrition funnel, recording problems by provider, and Enhanced RECONNECT by site."""
    data = {"rules": rules, "latest": latest, "latest_label": latest_label}
    if tier.has("continuity_flows"):
        data["flows"] = tier.query(
            "select estab_code, prison_name, exit_la_code, la_name, releases, engaged, value_pct, value_note "
            "from marts.continuity_flows where period_type = 'financial_year' and period_start = ? "
            "and flow_type = 'pair' and releases is not null "
            "order by releases desc, prison_name, la_name",
            latest,
        )
    if tier.has("audit_attrition"):
        data["funnel"] = tier.query(
            "select * from marts.audit_attrition where geography_type = 'england' "
            "and period_type = 'financial_year' and period_start = ?",
            latest,
        )
    if tier.has("recording_issues_summary"):
        data["providers"] = tier.query(
            "select financial_year, provider_role, provider, issue_type, issues, releases_would_engage, value_note "
            "from marts.recording_issues_summary where provider_role <> 'england' "
            "and financial_year = (select max(financial_year) from marts.recording_issues_summary) "
            "order by issues desc nulls last, provider, issue_type",
        )
    if tier.has("er_outcomes_summary"):
        data["er"] = tier.query(
            "select site, delivery_model, outcome, n, value_pct, lower_ci95_pct, upper_ci95_pct, value_note "
            "from marts.er_outcomes_summary where priority_group = 'all' order by site, outcome",
        )
    return data
