"""The disclosure policy as Python reads it: declared once, in dbt_project.yml. The rules
themselves are applied and unit-tested in dbt (models/publication/*.yml)."""

from pipelines.disclosure import Rules, rules_from_project


def test_the_policy_comes_from_the_dbt_vars():
    rules = rules_from_project()
    assert rules == Rules(min_count=8, rounding_base=1)  # the stricter release is off by default
    assert rules.note("suppressed") == "Suppressed: small numbers"
    assert set(rules.value_notes) == {
        "suppressed",
        "suppressed_to_protect",
        "count_suppressed",
        "count_suppressed_to_protect",
        "rounded",
        "trend_suppressed",
        "no_releases",
        "no_observations",
        "all_pending",
        "provisional",
        "partial_period",
    }
