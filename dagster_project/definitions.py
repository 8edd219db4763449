"""The Dagster code location: assets, checks, jobs, sensors and resources. Wiring only: every
rule lives in dbt (models/) or in the loader (pipelines/). Importing it does no work: the dbt
manifest is prepared by `make install`, the CLI, the tests, or `dagster dev` (prepare_if_dev)."""

from __future__ import annotations

import dagster as dg

from dagster_project.alerts import alert_on_run_failure
from dagster_project.assets.dbt import continuity_dbt_assets
from dagster_project.assets.gates import GATE_CHECKS
from dagster_project.assets.ingest import INGEST_ASSETS, LOADED_FILES
from dagster_project.assets.publication import publication
from dagster_project.assets.validation import SUITE_CHECKS
from dagster_project.automation import (
    exports_only_job,
    full_refresh_job,
    landing_sensor,
    quarterly_schedule,
)
from dagster_project.progress import progress_logger
from dagster_project.resources import deployment_resources

defs = dg.Definitions(
    assets=[*INGEST_ASSETS, LOADED_FILES, continuity_dbt_assets, publication],
    asset_checks=[*SUITE_CHECKS, *GATE_CHECKS],
    jobs=[full_refresh_job, exports_only_job],
    schedules=[quarterly_schedule],
    sensors=[landing_sensor, alert_on_run_failure],
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    # one process for every run, the jobs' and "Materialize all" alike: dbt starts once,
    # checks run beside their assets, and DuckDB has one writer
    executor=dg.in_process_executor,
    # every setting as resource configuration, empty fields meaning the deployment's (the
    # CONTINUITY_* variables, read when a run starts: pipelines/settings.py); the run's own
    # choices (accepted gates, full refresh) as the run_choices resource
    resources=deployment_resources(),
)
