"""Every dbt seed, model and test as Dagster assets and asset checks."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import DBT_PROJECT, TRANSLATOR, ensure_manifest
from dagster_project.settings import WAREHOUSE_POOL, Settings
from pipelines.pseudonymise import check_key_policy

ensure_manifest()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def continuity_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    settings = Settings.from_env()
    # person keys need a secret on real data; checked here, after ingestion, against every
    # file the warehouse holds (pipelines/pseudonymise.py)
    note = check_key_policy(settings.landing, settings.warehouse)
    if note:
        context.log.warning(note)
    # unit tests check the rules' code, not the data: tests/dbt runs them in CI, not every run
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()
