"""Resources: the run's settings with the DuckDB warehouse (short-lived connections), the
run's own choices, and the alert channels.

Every field of the `warehouse` and `alerts` resources defaults to empty, which means "this
deployment's setting" (pipelines/settings.py, the CONTINUITY_* variables, read when the run
starts). So a launchpad that changes one field keeps every other at the deployment's value,
never at a code default; the CLI fills every field from its arguments (`resources_for`).
The run's choices (gates accepted with reasons, a full refresh) are the `run_choices`
resource: run configuration of that run alone."""

from __future__ import annotations

import contextlib
import functools
import os
from datetime import datetime

import dagster as dg
import duckdb
from pydantic import Field

from pipelines.settings import Settings

DEPLOYMENT = " Empty: this deployment's {} (docs/settings.md)."


class WarehouseResource(dg.ConfigurableResource):
    """Where a run reads and writes, and the working DuckDB warehouse. Connections are opened
    per step and closed at once: DuckDB allows one writer process per file. A run holds the
    warehouse's run lock from its start to its end (pipelines/lock.py)."""

    landing: str = Field(
        default="",
        description="The landing folder: <landing>/<extract>/*.csv." + DEPLOYMENT.format("CONTINUITY_LANDING"),
    )
    warehouse: str = Field(
        default="",
        description="The working DuckDB warehouse (personal data; not for analysts)."
        + DEPLOYMENT.format("CONTINUITY_WAREHOUSE"),
    )
    output: str = Field(
        default="",
        description="Where the publication, exports, reports and validation reports go."
        + DEPLOYMENT.format("CONTINUITY_OUTPUT, else the warehouse's folder"),
    )
    memory_limit: str = Field(
        default="",
        description="DuckDB memory limit, for dbt and the checks." + DEPLOYMENT.format("CONTINUITY_MEMORY_LIMIT"),
    )
    dbt_target: str = Field(
        default="",
        description="The engine dbt builds on: duckdb or spark." + DEPLOYMENT.format("CONTINUITY_DBT_TARGET"),
    )
    validation_keep: int = Field(
        default=0,
        description="How many runs' validation reports are kept (newest first). 0: this deployment's "
        "CONTINUITY_VALIDATION_KEEP.",
    )

    @property
    def settings(self) -> Settings:
        """The deployment's settings with this resource's non-empty fields over them."""
        return Settings.from_env(
            landing=self.landing,
            warehouse=self.warehouse,
            output=self.output,
            memory_limit=self.memory_limit,
            dbt_target=self.dbt_target,
            validation_keep=self.validation_keep or None,
        )

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        # every file a run creates is the owner's alone unless the publication opens it on
        # purpose: the warehouse holds personal data (docs/disclosure.md)
        os.umask(0o077)
        run = context.dagster_run
        if run is None:  # a sensor's or schedule's evaluation reads; it is not a run
            yield self
            return
        from pipelines.lock import run_lock

        with run_lock(self.settings.warehouse, f"run {run.run_id[:8]}"):
            yield self

    @contextlib.contextmanager
    def connect(self, read_only: bool = False):
        settings = self.settings
        path = settings.warehouse
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": settings.memory_limit})
        if not read_only:
            path.chmod(0o600)  # raw CRN, initials and dates of birth: the owner only
        try:
            yield con
        finally:
            con.close()


class AcceptedGate(dg.Config):
    """A publication gate an analyst accepts for one run, with why."""

    gate: str = Field(description="The gate: extracts_current, c20_change, c20_band or quarantine_share.")
    reason: str = Field(description="Why it is accepted; recorded in notes.json.")
    who: str = Field(default="", description="Who accepted it (empty: the launchpad's user, unrecorded).")
    when: str = Field(default="", description="When (ISO 8601; empty: when the run started).")


class RunChoices(dg.ConfigurableResource):
    """Choices for this run alone (the launchpad, or `continuity run --accept/--reason/--full-refresh`)."""

    accept: list[AcceptedGate] = Field(
        default=[], description="Publication gates to publish past although they fail, each with its reason."
    )
    full_refresh: bool = Field(
        default=False,
        description="Rebuild the incremental tables (staging, every year of the release models) from raw "
        "(dbt --full-refresh).",
    )

    def accepted(self) -> list[dict]:
        """The accepted gates as notes.json records them (gate, reason, who, when)."""
        now = datetime.now().isoformat(timespec="seconds")
        return [
            {
                "gate": a.gate.removeprefix("gate_"),
                "reason": a.reason,
                "who": a.who or "unrecorded",
                "when": a.when or now,
            }
            for a in self.accept
        ]


@functools.cache
def _dbt_cli_resource_class():
    """DbtCliResource without the work it does before every invocation that this project
    never uses (together about 3 s of every run, docs/decisions.md): the version of the dbt
    executable, which it asks by starting `dbt --version` (the executable is this
    environment's, so it is the installed dbt-core's version), and an in-process dbt adapter
    (project, profile and adapter loaded in the run's own process) for its column-metadata and
    row-count helpers: this project describes the built tables itself after dbt has finished
    (dagster_project/assets/dbt.py)."""
    from importlib.metadata import version as installed_version

    from dagster_dbt import DbtCliResource
    from packaging import version

    class ContinuityDbtCliResource(DbtCliResource):
        @functools.cached_property
        def _cli_version(self) -> version.Version:
            return version.parse(installed_version("dbt-core"))

        def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
            return None

    return ContinuityDbtCliResource


def dbt_resource(target: str):
    """The dbt CLI on this project and target."""
    from pipelines.contract import PROJECT_DIR
    from pipelines.dbt_runner import dbt_executable

    return _dbt_cli_resource_class()(
        project_dir=str(PROJECT_DIR),
        profiles_dir=str(PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(target),
        # dbt's own log file (target/<invocation>/dbt.log) at info: each node's start, result
        # and errors, without the debug lines (every statement), which cost 5 of a small
        # run's 38 s of dbt
        global_config_flags=["--log-level-file", "info"],
    )


def deployment_resources() -> dict[str, dg.ConfigurableResource]:
    """The code location's resources: every field empty, so each resolves to the
    deployment's setting when a run starts (nothing is read when the definitions load)."""
    from dagster_project.alerts import AlertResource

    return {"warehouse": WarehouseResource(), "alerts": AlertResource(), "run_choices": RunChoices()}


def resources_for(settings: Settings, choices: RunChoices | None = None) -> dict[str, dg.ConfigurableResource]:
    """The same resources from explicit settings and choices: the CLI's arguments."""
    warehouse = WarehouseResource(
        landing=str(settings.landing),
        warehouse=str(settings.warehouse),
        output=str(settings.output),
        memory_limit=settings.memory_limit,
        dbt_target=settings.dbt_target,
        validation_keep=settings.validation_keep,
    )
    return {"warehouse": warehouse, "run_choices": choices or RunChoices()}
