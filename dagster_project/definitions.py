"""The Dagster code location: assets, checks, jobs and resources. Wiring only: every rule
lives in dbt (models/) or in the loader (pipelines/)."""

from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import dagster as dg  # noqa: E402
from dagster_dbt import DbtCliResource  # noqa: E402

from dagster_project.assets.dbt import continuity_dbt_assets  # noqa: E402
from dagster_project.assets.gates import GATE_CHECKS  # noqa: E402
from dagster_project.assets.ingest import INGEST_ASSETS  # noqa: E402
from dagster_project.assets.publication import publication  # noqa: E402
from dagster_project.assets.validation import SUITE_CHECKS  # noqa: E402
from dagster_project.automation import (  # noqa: E402
    exports_only_job,
    full_refresh_job,
    landing_sensor,
    quarterly_schedule,
)
from dagster_project.dbt_project import DBT_PROJECT  # noqa: E402
from dagster_project.progress import progress_logger  # noqa: E402
from dagster_project.resources import WarehouseResource, dbt_executable  # noqa: E402
from dagster_project.settings import Settings  # noqa: E402

# The engine dbt builds on is a setting (CONTINUITY_DBT_TARGET, `continuity run --dbt-target`):
# the same job runs on DuckDB (default) or Spark (docs/scale-out.md).
DBT_TARGET = Settings.from_env().dbt_target

defs = dg.Definitions(
    assets=[*INGEST_ASSETS, continuity_dbt_assets, publication],
    asset_checks=[*SUITE_CHECKS, *GATE_CHECKS],
    jobs=[full_refresh_job, exports_only_job],
    schedules=[quarterly_schedule],
    sensors=[landing_sensor],
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    resources={
        "warehouse": WarehouseResource(),
        "dbt": DbtCliResource(
            project_dir=DBT_PROJECT,
            profiles_dir=str(DBT_PROJECT.profiles_dir),
            target=DBT_TARGET,
            dbt_executable=dbt_executable(DBT_TARGET),
        ),
    },
)
