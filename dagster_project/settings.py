"""Where a run reads and writes. One place, read from the environment, so the CLI, the
Dagster UI and the tests all agree (the CLI sets these from its arguments)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import PROJECT_DIR

LANDING_ENV = "CONTINUITY_LANDING"
WAREHOUSE_ENV = "CONTINUITY_WAREHOUSE"
OUTPUT_ENV = "CONTINUITY_OUTPUT"
WAREHOUSE_POOL = "duckdb_warehouse"  # every asset that writes the warehouse; limit 1


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    output: Path

    @classmethod
    def from_env(cls) -> Settings:
        landing = Path(os.environ.get(LANDING_ENV, PROJECT_DIR / "data" / "landing"))
        warehouse = Path(os.environ.get(WAREHOUSE_ENV, PROJECT_DIR / "warehouse" / "continuity.duckdb"))
        output = Path(os.environ.get(OUTPUT_ENV, warehouse.parent))
        return cls(landing.resolve(), warehouse.resolve(), output.resolve())

    def export(self) -> None:
        """Put these paths in the environment, for dbt and for in-process runs."""
        os.environ[LANDING_ENV] = str(self.landing)
        os.environ[WAREHOUSE_ENV] = str(self.warehouse)
        os.environ[OUTPUT_ENV] = str(self.output)
