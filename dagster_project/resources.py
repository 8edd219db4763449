"""Resources: the run's settings with the DuckDB warehouse (short-lived connections), and
the dbt CLI. Their fields are Dagster configuration: the UI shows on every run which
landing folder, warehouse and output it used, and the CLI builds the same resources from
its arguments (`resources_for`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from dagster_project.settings import (
    DBT_TARGET_ENV,
    DEFAULT_LANDING,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_VALIDATION_KEEP,
    LANDING_ENV,
    MEMORY_LIMIT_ENV,
    OUTPUT_ENV,
    VALIDATION_KEEP_ENV,
    WAREHOUSE_ENV,
    Settings,
)
from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR


class WarehouseResource(dg.ConfigurableResource):
    """Where a run reads and writes, and the working DuckDB warehouse. Connections are opened
    per step and closed at once: DuckDB allows one writer process per file."""

    landing: str = Field(default=str(DEFAULT_LANDING), description="The landing folder: <landing>/<extract>/*.csv.")
    warehouse: str = Field(
        default=str(DEFAULT_WAREHOUSE), description="The working DuckDB warehouse (personal data; not for analysts)."
    )
    output: str = Field(
        default="",
        description="Where the publication, exports, reports and validation reports go (empty: beside the warehouse).",
    )
    memory_limit: str = Field(default=DEFAULT_MEMORY_LIMIT, description="DuckDB memory limit, for dbt and the checks.")
    dbt_target: str = Field(default="duckdb", description="The engine dbt builds on: duckdb or spark.")
    validation_keep: int = Field(
        default=DEFAULT_VALIDATION_KEEP, description="How many runs' validation reports are kept (newest first)."
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # every file a run creates is the owner's alone unless the publication opens it on
        # purpose: the warehouse holds personal data (docs/disclosure.md)
        os.umask(0o077)

    @property
    def settings(self) -> Settings:
        warehouse = Path(self.warehouse).resolve()
        output = Path(self.output).resolve() if self.output else warehouse.parent
        return Settings(
            Path(self.landing).resolve(), warehouse, output, self.dbt_target, self.memory_limit, self.validation_keep
        )

    @contextlib.contextmanager
    def connect(self, read_only: bool = False):
        path = self.settings.warehouse
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": self.memory_limit})
        if not read_only:
            path.chmod(0o600)  # raw CRN, initials and dates of birth: the owner only
        try:
            yield con
        finally:
            con.close()


def dbt_executable(target: str = "duckdb") -> str:
    """The dbt of this virtual environment, not whatever is first on PATH, started as
    `continuity-dbt`: dbt guarded so that it dies with the run (dagster_project/children.py).
    On the Spark target,
    `continuity-dbt-spark` (pipelines/spark.py): dbt in a process that first starts the Spark
    session, registers the person-key function and the raw tables, and afterwards mirrors
    the built tables into the DuckDB warehouse for validation and publication."""
    name = "continuity-dbt-spark" if target == "spark" else "continuity-dbt"
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    if shutil.which(name):
        return shutil.which(name)
    return str(Path(sys.executable).parent / "dbt") if target != "spark" else name


def dbt_resource(target: str):
    """The dbt CLI on this project and target."""
    from dagster_dbt import DbtCliResource

    return DbtCliResource(
        project_dir=str(PROJECT_DIR),
        profiles_dir=str(PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(target),
    )


def _env_or(name: str, default: str) -> str | dg.EnvVar:
    """An EnvVar when the variable is set (the UI then names it), else the default: a code
    location without any variable still loads and says which paths it uses."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def alerts_from_env():
    """Alert channels from CONTINUITY_ALERT_* variables (docs/runbook.md)."""
    from dagster_project.alerts import AlertResource

    port = dg.EnvVar.int("CONTINUITY_SMTP_PORT") if os.environ.get("CONTINUITY_SMTP_PORT") else 25
    return AlertResource(
        webhook_url=_env_or("CONTINUITY_ALERT_WEBHOOK", ""),
        smtp_host=_env_or("CONTINUITY_SMTP_HOST", ""),
        smtp_port=port,
        email_from=_env_or("CONTINUITY_ALERT_EMAIL_FROM", "continuity@localhost"),
        email_to=_env_or("CONTINUITY_ALERT_EMAIL_TO", ""),
        ui_url=_env_or("CONTINUITY_UI_URL", "http://127.0.0.1:3000"),
    )


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """The code location's resources: every setting from its CONTINUITY_* variable."""
    target = os.environ.get(DBT_TARGET_ENV) or "duckdb"
    warehouse = WarehouseResource(
        landing=_env_or(LANDING_ENV, str(DEFAULT_LANDING)),
        warehouse=_env_or(WAREHOUSE_ENV, str(DEFAULT_WAREHOUSE)),
        output=_env_or(OUTPUT_ENV, ""),
        memory_limit=_env_or(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT),
        dbt_target=_env_or(DBT_TARGET_ENV, "duckdb"),
        validation_keep=(
            dg.EnvVar.int(VALIDATION_KEEP_ENV) if os.environ.get(VALIDATION_KEEP_ENV) else DEFAULT_VALIDATION_KEEP
        ),
    )
    return {"warehouse": warehouse, "dbt": dbt_resource(target), "alerts": alerts_from_env()}


def resources_for(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The same resources from explicit settings: the CLI's arguments."""
    warehouse = WarehouseResource(
        landing=str(settings.landing),
        warehouse=str(settings.warehouse),
        output=str(settings.output),
        memory_limit=settings.memory_limit,
        dbt_target=settings.dbt_target,
        validation_keep=settings.validation_keep,
    )
    return {"warehouse": warehouse, "dbt": dbt_resource(settings.dbt_target)}
