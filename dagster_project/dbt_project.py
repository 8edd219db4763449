"""The dbt project as Dagster sees it: one place for the manifest and the asset mapping."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from dagster_project.resources import dbt_executable
from pipelines.contract import PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
_INPUTS = ["models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml"]


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in _INPUTS:
        path = PROJECT_DIR / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for p in path.rglob("*"):
                if p.is_file():
                    newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_manifest() -> None:
    """Run `dbt parse` when the manifest is missing or older than the dbt sources.

    dagster-dbt only builds the manifest itself under `dagster dev`; the CLI and tests
    come through here."""
    manifest = DBT_PROJECT.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime():
        return
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")


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


TRANSLATOR = ContinuityTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
