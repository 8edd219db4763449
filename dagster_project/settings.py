"""Where a run reads and writes, as one typed value. The Dagster resources
(dagster_project/resources.py) hold these as configuration, so the UI shows them on every
run; the CLI builds the same resources from its arguments. Nothing here writes the process
environment: dbt gets the warehouse through `--vars` (profiles.yml)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR

LANDING_ENV = "CONTINUITY_LANDING"
WAREHOUSE_ENV = "CONTINUITY_WAREHOUSE"
OUTPUT_ENV = "CONTINUITY_OUTPUT"
MEMORY_LIMIT_ENV = "CONTINUITY_MEMORY_LIMIT"
DBT_TARGET_ENV = "CONTINUITY_DBT_TARGET"  # profiles.yml reads it too
VALIDATION_KEEP_ENV = "CONTINUITY_VALIDATION_KEEP"
DEFAULT_VALIDATION_KEEP = 20  # validation report folders kept
DBT_TARGETS = ("duckdb", "spark")  # docs/scale-out.md
WAREHOUSE_POOL = "duckdb_warehouse"  # every asset that writes the warehouse; limit 1
DEFAULT_LANDING = PROJECT_DIR / "data" / "landing"
# One DuckDB memory limit for every step (loader, dbt, checks, gates, publication): with the
# Python processes around it the whole run stays under 4 GB; DuckDB spills to disk beyond it.
DEFAULT_MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    output: Path
    dbt_target: str = "duckdb"
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    validation_keep: int = DEFAULT_VALIDATION_KEEP  # the newest run reports kept (pipelines/validation.py)

    def __post_init__(self) -> None:
        if self.dbt_target not in DBT_TARGETS:
            raise ValueError(
                f"{DBT_TARGET_ENV}={self.dbt_target!r}: the dbt target must be one of {', '.join(DBT_TARGETS)}"
            )

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a process without arguments gets: the CONTINUITY_* variables, else
        the project's defaults (read only, never written)."""
        landing = Path(os.environ.get(LANDING_ENV, DEFAULT_LANDING))
        warehouse = Path(os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE))
        output = Path(os.environ.get(OUTPUT_ENV, warehouse.parent))
        target = os.environ.get(DBT_TARGET_ENV, "duckdb")
        memory = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
        keep = int(os.environ.get(VALIDATION_KEEP_ENV, DEFAULT_VALIDATION_KEEP))
        return cls(landing.resolve(), warehouse.resolve(), output.resolve(), target, memory, keep)

    def dbt_vars(self) -> dict[str, str]:
        """What the dbt subprocess needs of these settings, as `--vars` (profiles.yml reads
        them), so the parent's environment is never changed to pass them."""
        return {"continuity_warehouse": str(self.warehouse), "continuity_memory_limit": self.memory_limit}
