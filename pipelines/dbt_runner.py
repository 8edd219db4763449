"""The dbt of this project, as every caller starts it: the executable, and the manifest
prepared before anything reads it. Free of Dagster: the CLI, the Dagster definitions, the
development tools and the tests share it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.contract import PROJECT_DIR

MANIFEST = PROJECT_DIR / "target" / "manifest.json"
_INPUTS = ["models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml"]


def dbt_executable(target: str = "duckdb") -> str:
    """The dbt of this virtual environment, not whatever is first on PATH, started as
    `continuity-dbt`: dbt guarded so that it dies with the run, with the deployment's settings
    as its vars (pipelines/children.py). On the Spark target, `continuity-dbt-spark`
    (pipelines/spark.py): dbt in a process that first starts the Spark session, registers the
    person-key function and the raw tables, and afterwards mirrors the built tables into the
    DuckDB warehouse for validation and publication; on `spark_thrift` it registers the lake
    on the cluster instead of starting a session (pipelines/spark_thrift.py)."""
    from pipelines.settings import SPARK_TARGETS

    name = "continuity-dbt-spark" if target in SPARK_TARGETS else "continuity-dbt"
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    return found or name


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

    Called explicitly, never on import: by `make install`, the CLI before it loads the
    definitions, the tests' session start, and `dagster dev` (dagster_project/dbt_project.py)."""
    from pipelines.settings import child_environment

    if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input_mtime():
        return
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR,
        env=child_environment(DO_NOT_TRACK="1"),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
