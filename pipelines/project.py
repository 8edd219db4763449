"""The dbt project's vars (dbt_project.yml), read by Python in one place: every rule
parameter and label is declared there once, and Python only reads it."""

from __future__ import annotations

from functools import cache

import yaml

from pipelines.contract import PROJECT_DIR


@cache
def project_vars() -> dict:
    """The vars of dbt_project.yml: where every rule parameter and label is declared."""
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def window_days() -> int:
    """The engagement window of C20 in days (the var `engagement_window_days`)."""
    return int(project_vars()["engagement_window_days"])
