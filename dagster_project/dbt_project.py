"""The dbt project as Dagster sees it: one place for the manifest and the asset mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from dagster_project.automation import SUBMISSION_DAY
from pipelines.contract import PROJECT_DIR
from pipelines.dbt_runner import ensure_manifest

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# what DbtProject.prepare_if_dev does, with this project's dbt (whatever PATH holds) and
# telemetry off: only under `dagster dev`, parse the project before the assets read it
if using_dagster_dev():
    ensure_manifest()


class ContinuityTranslator(DagsterDbtTranslator):
    """dbt sources are the raw tables the ingestion assets write: raw/<table>.
    Groups mirror the layers: reference (seeds), staging, intermediate, marts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:continuity-data"]

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The YAML description only (never dagster-dbt's "dbt seed ... Raw SQL" fallback), with
        tag-like angle brackets escaped so Markdown keeps them."""
        text = dbt_resource_props.get("description") or (
            f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']} (no description in its YAML)"
        )
        return TAG_LIKE.sub(r"\\<\1", text)

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        """Marts are expected fresh after each quarterly submission (automation.py's schedule)."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.group_name == "marts":
            spec = spec.replace_attributes(freshness_policy=QUARTERLY_FRESHNESS)
        return spec

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """dbt tests as checks, each described: its YAML description, or what it tests."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"][unique_id]
        meta = test.get("test_metadata") or {}
        if meta:
            kwargs = {k: v for k, v in meta.get("kwargs", {}).items() if k not in ("model", "column_name")}
            column = f".{test['column_name']}" if test.get("column_name") else ""
            text = f"dbt test {meta['name']} on {asset_spec.key.to_user_string()}{column}" + (
                f": {kwargs}" if kwargs else ""
            )
        else:
            text = f"dbt singular test {test['original_file_path']}: returns the rows that break it"
        return spec._replace(description=TAG_LIKE.sub(r"\\<\1", text))


TAG_LIKE = re.compile(r"<([A-Za-z_/])")
# The quarterly schedule starts at 06:00 on 15 February, May, August and November; the marts
# are overdue if that day ends without a refresh made since the 1st of the month.
QUARTERLY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=f"0 18 {SUBMISSION_DAY}", lower_bound_delta=timedelta(days=14), timezone="Europe/London"
)


TRANSLATOR = ContinuityTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
