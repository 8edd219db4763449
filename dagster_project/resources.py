"""Resources: the DuckDB warehouse (short-lived connections) and the dbt CLI."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB warehouse. Connections are opened per step and closed at once:
    DuckDB allows one writer process per file."""

    memory_limit: str = "4GB"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # every file a run creates is the owner's alone unless the publication opens it on
        # purpose: the warehouse holds personal data (docs/disclosure.md)
        os.umask(0o077)

    @property
    def settings(self) -> Settings:
        return Settings.from_env()

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
