"""dbt on a Spark cluster over its Thrift server: the `spark_thrift` target (docs/scale-out.md).

`continuity-dbt-spark ... --target spark_thrift` (the `dbt_executable` of that target) runs a
dbt command in four steps:

1. registers the lake the loader wrote (pipelines/lake.py) as the cluster's `raw` schema: the
   raw rows and quarantine as external Parquet tables, and the loader's bookkeeping tables
   (copied from the DuckDB warehouse to `<lake>/ingest/`);
2. runs dbt on the cluster for every seed, model and test except the publication
   (models/publication/: its disclosure solver is a dbt Python model, which runs on DuckDB);
3. after a build or run, has Spark write every table it built as Parquet
   (`insert overwrite directory`, into `<spark folder>/mirror/<schema>/<table>/`) and copies
   those into the same schemas of the DuckDB warehouse, where the Great Expectations suites,
   the gates, the publication, the exports and the reports run unchanged
   (CONTINUITY_SPARK_MIRROR=0: not);
4. builds the publication models on DuckDB from those tables (the same dbt selection, limited
   to models/publication/), in the same dbt target folder, and merges both steps'
   run_results.json, so Dagster sees every node of one build.

The cluster must reach the lake and the mirror folder at the same paths as this process (one
machine, or a shared file system); the person-key function must be registered in the server's
session (pipelines/spark_server.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipelines.settings import Settings

PUBLICATION = "path:models/publication"
MIRRORED_SCHEMAS = ("reference", "staging", "intermediate", "marts")
SQL_COMMANDS = ("build", "run", "test", "seed", "snapshot", "show")


def connect(settings: Settings):
    """A PyHive connection to the Thrift server the settings name."""
    from pyhive import hive

    return hive.connect(
        host=settings.spark_host, port=settings.spark_port, username=settings.spark_user, auth=settings.spark_auth
    )


def run_sql(settings: Settings, statements: list[str]) -> None:
    """Each statement (DDL: no rows are fetched) on the cluster, in order."""
    con = connect(settings)
    try:
        cursor = con.cursor()
        for sql in statements:
            cursor.execute(sql)
    finally:
        con.close()


def register_lake(settings: Settings) -> None:
    """The lake as the cluster's `raw` schema (step 1)."""
    from pipelines.lake import export_ingest_tables, raw_table_sql

    lake = settings.raw_lake
    export_ingest_tables(settings.warehouse, lake)
    run_sql(settings, raw_table_sql(lake))


def _option(args: list[str], names: tuple[str, ...]) -> list[str]:
    """The values of every occurrence of a selection option (each may hold several, space-separated)."""
    values = []
    for flag, value in zip(args, args[1:], strict=False):
        if flag in names:
            values += value.split()
    return values


def _without(args: list[str], names: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        else:
            out.append(arg)
    return out


SELECT, EXCLUDE, TARGET = ("--select", "-s", "--models", "-m"), ("--exclude",), ("--target", "-t")


def spark_args(args: list[str]) -> list[str]:
    """The command on the cluster: everything but the publication."""
    excluded = [*_option(args, EXCLUDE), PUBLICATION]
    return [*_without(args, EXCLUDE), "--exclude", " ".join(excluded)]


def duckdb_args(args: list[str]) -> list[str]:
    """The command's publication models on DuckDB: its selection (all when none) within
    models/publication/, its exclusions, the DuckDB target."""
    selected = _option(args, SELECT) or ["*"]
    within = [PUBLICATION if s in ("*", "fqn:*") else f"{s},{PUBLICATION}" for s in selected]
    rest = _without(args, SELECT + TARGET)
    return [*rest, "--select", " ".join(within), "--target", "duckdb"]


def mirror(settings: Settings, out_dir: Path) -> list[str]:
    """Every table and view dbt built on the cluster, written by Spark as Parquet into
    `out_dir/<schema>/<table>/` and copied into the same schema of the DuckDB warehouse
    (step 3). Returns the tables copied."""
    import duckdb

    con = connect(settings)
    copied: list[str] = []
    try:
        cursor = con.cursor()
        cursor.execute("show databases")
        databases = {row[0] for row in cursor.fetchall()}
        names = []
        for schema in MIRRORED_SCHEMAS:
            if schema in databases:
                cursor.execute(f"show tables in {schema}")
                names += [f"{schema}.{row[1]}" for row in cursor.fetchall() if not row[2]]  # not temporary views
        for name in names:
            folder = (out_dir / name.replace(".", "/")).resolve()
            cursor.execute(f"insert overwrite directory '{folder}' using parquet select * from {name}")
    finally:
        con.close()
    duck = duckdb.connect(str(settings.warehouse), config={"memory_limit": settings.memory_limit})
    try:
        for name in names:
            schema = name.split(".")[0]
            folder = (out_dir / name.replace(".", "/")).resolve()
            duck.execute(f"create schema if not exists {schema}")
            duck.execute(f"drop view if exists {name}")
            duck.execute(f"create or replace table {name} as select * from read_parquet('{folder}/*.parquet')")
            copied.append(name)
    finally:
        duck.close()
    return copied


def _target_dir() -> Path:
    """The target folder of the dbt invocation that just ran (dbt's own flag: `--target-path`,
    DBT_TARGET_PATH, which dagster-dbt sets per run, or the project's `target`)."""
    from dbt.flags import get_flags

    from pipelines.contract import PROJECT_DIR

    path = Path(getattr(get_flags(), "TARGET_PATH", None) or "target")
    return path if path.is_absolute() else PROJECT_DIR / path


def merge_run_results(first: dict | None, path: Path) -> None:
    """run_results.json of the publication step with the cluster step's results before its own."""
    if first is None or not path.exists():
        return
    second = json.loads(path.read_text())
    second["results"] = first.get("results", []) + second.get("results", [])
    second["elapsed_time"] = first.get("elapsed_time", 0) + second.get("elapsed_time", 0)
    path.write_text(json.dumps(second))


def dbt_main(args: list[str]) -> int:
    """One dbt command on the spark_thrift target, in the steps of the module docstring."""
    from dbt.cli.main import dbtRunner

    from pipelines.children import dbt_command
    from pipelines.spark import run_settings

    command = dbt_command(args)
    settings = run_settings(args).replace(dbt_target="spark_thrift")
    if command not in SQL_COMMANDS:  # parse, compile, ls, debug, ...: as they are
        result = dbtRunner().invoke(args)
        return 0 if result.success else 1
    register_lake(settings)
    result = dbtRunner().invoke(spark_args(args))
    if result.exception is not None:
        print(f"dbt on the Spark cluster failed: {result.exception}", file=sys.stderr)
        return 2
    if not result.success or command not in ("build", "run"):
        return 0 if result.success else 1
    if not settings.spark_mirror:
        return 0
    copied = mirror(settings, settings.spark_folder / "mirror")
    print(f"Mirrored {len(copied)} Spark tables into {settings.warehouse}", file=sys.stderr)
    return publication_on_duckdb(args)


def publication_on_duckdb(args: list[str]) -> int:
    """The command's publication models built on DuckDB from the mirrored tables (step 4), in
    the target folder of the Spark step, whose results stay in run_results.json."""
    from dbt.cli.main import dbtRunner

    results = _target_dir() / "run_results.json"
    first = json.loads(results.read_text()) if results.exists() else None
    publication = dbtRunner().invoke(duckdb_args(args))
    merge_run_results(first, results)
    if publication.exception is not None:
        print(f"dbt on DuckDB (the publication) failed: {publication.exception}", file=sys.stderr)
        return 2
    return 0 if publication.success else 1
