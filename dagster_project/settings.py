"""Where a run reads and writes. One place, read from the environment, so the CLI, the
Dagster UI and the tests all agree (the CLI sets these from its arguments)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR

LANDING_ENV = "CONTINUITY_LANDING"
WAREHOUSE_ENV = "CONTINUITY_WAREHOUSE"
OUTPUT_ENV = "CONTINUITY_OUTPUT"
DBT_TARGET_ENV = "CONTINUITY_DBT_TARGET"  # profiles.yml reads it too
DBT_TARGETS = ("duckdb", "spark")  # docs/scale-out.md
WAREHOUSE_POOL = "duckdb_warehouse"  # every asset that writes the warehouse; limit 1


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    output: Path
    dbt_target: str = "duckdb"

    def __post_init__(self) -> None:
        if self.dbt_target not in DBT_TARGETS:
            raise ValueError(
                f"{DBT_TARGET_ENV}={self.dbt_target!r}: the dbt target must be one of {', '.join(DBT_TARGETS)}"
            )

    @classmethod
    def from_env(cls) -> Settings:
        landing = Path(os.environ.get(LANDING_ENV, PROJECT_DIR / "data" / "landing"))
        warehouse = Path(os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE))
        output = Path(os.environ.get(OUTPUT_ENV, warehouse.parent))
        target = os.environ.get(DBT_TARGET_ENV, "duckdb")
        return cls(landing.resolve(), warehouse.resolve(), output.resolve(), target)

    def export(self) -> None:
        """Put these paths in the environment, for dbt and for in-process runs."""
        os.environ[LANDING_ENV] = str(self.landing)
        os.environ[WAREHOUSE_ENV] = str(self.warehouse)
        os.environ[OUTPUT_ENV] = str(self.output)
        os.environ[DBT_TARGET_ENV] = self.dbt_target
