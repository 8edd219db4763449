"""Run the same dbt project on Spark: the path for users who outgrow one machine.

DuckDB stays the default engine. For Spark, the validated raw rows the loader wrote to the
DuckDB raw schema are also written as Parquet (one folder per raw table), registered in a
Hive metastore as external tables `raw.<table>`, and dbt-spark in `session` mode builds every
model against them. The pseudonymous person key is the same Python HMAC function on both
engines: a dbt-duckdb plugin registers it on DuckDB, and this module registers it as a
Spark UDF in the session dbt-spark then picks up (`SparkSession.builder.getOrCreate()`).

`continuity-dbt-spark` is a drop-in `dbt` executable for the Spark target: it creates that
session, registers the UDF and the raw tables, then runs dbt with the same arguments. Dagster
uses it as `dbt_executable` when the dbt target is spark. Its settings (CONTINUITY_SPARK_*,
CONTINUITY_RAW_PARQUET) come from pipelines/settings.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipelines.settings import Settings


def export_raw_parquet(warehouse: Path, out_dir: Path) -> None:
    """Write every table of the DuckDB warehouse's raw schema (one per extract, and the
    loader's lineage tables) as Parquet, `<out_dir>/<table>/part-0.parquet`.

    The loader has already validated these rows (contract failures are in raw.quarantine), so
    both engines start from exactly the same rows."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
        ).fetchall()
        for (table,) in tables:
            target = out_dir / table
            target.mkdir(parents=True, exist_ok=True)
            for old in target.glob("*.parquet"):
                old.unlink()
            con.execute(f"copy raw.{table} to '{target / 'part-0.parquet'}' (format parquet)")
    finally:
        con.close()


def spark_session(work_dir: Path, settings: Settings | None = None):
    """A local Spark session with its Hive metastore and warehouse under `work_dir`."""
    from pyspark.sql import SparkSession

    settings = settings or Settings.from_env()

    work_dir = work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName("continuity")
        .config("spark.pyspark.python", sys.executable)  # Python workers: this virtual environment's
        .config("spark.sql.warehouse.dir", str(work_dir / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={work_dir / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work_dir}")
        .config("spark.driver.memory", settings.spark_memory)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .enableHiveSupport()
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_person_key(spark, settings: Settings) -> None:
    """The HMAC person key of indicators.md s.6 as the SQL function `continuity_person_key`,
    with the key of the run's warehouse (pipelines/pseudonymise.py)."""
    from pyspark.sql.types import StringType

    from pipelines.pseudonymise import person_key, secret_key

    key = secret_key(settings)
    spark.udf.register("continuity_person_key", lambda value: person_key(value, key), StringType())


def register_raw_tables(spark, parquet_dir: Path) -> None:
    """`raw.<table>` external Parquet tables, one per folder of `parquet_dir`: the dbt sources
    on Spark."""
    spark.sql("create database if not exists raw")
    for location in sorted(p.resolve() for p in parquet_dir.iterdir() if p.is_dir()):
        table = location.name
        spark.sql(f"drop table if exists raw.{table}")
        spark.sql(f"create table raw.{table} using parquet location '{location}'")


def prepare(work_dir: Path, parquet_dir: Path, settings: Settings):
    """Session + UDF + raw tables: everything dbt-spark needs before `dbt build`."""
    spark = spark_session(work_dir, settings)
    register_person_key(spark, settings)
    register_raw_tables(spark, parquet_dir)
    return spark


MIRRORED_SCHEMAS = ("reference", "staging", "intermediate", "marts")  # the publication is built on DuckDB
NO_SESSION_COMMANDS = ("parse", "deps", "clean", "compile", "ls", "list", "debug", "init")


def run_settings(args: list[str]) -> Settings:
    """The deployment's settings with the warehouse of the dbt command's vars (a run's)."""
    from pipelines.children import var_from_args

    return Settings.from_env(warehouse=var_from_args(args, "continuity_warehouse"))


def session_dir(settings: Settings) -> Path:
    """The Spark session's folder (metastore, Spark warehouse, raw Parquet, mirror):
    CONTINUITY_SPARK_DIR, or `spark/` beside the DuckDB warehouse."""
    return settings.spark_folder


def mirror_to_duckdb(spark, warehouse: Path, out_dir: Path) -> list[str]:
    """Copy every table and view dbt built on Spark (seeds, staging, intermediate, marts) into
    the same schemas of the DuckDB warehouse, through Parquet, so the Great Expectations suites,
    the publication and the exports run unchanged whichever engine built the models. Returns
    the tables copied."""
    copied = []
    con = duckdb.connect(str(warehouse))
    try:
        for schema in MIRRORED_SCHEMAS:
            if not spark.catalog.databaseExists(schema):
                continue
            con.execute(f"create schema if not exists {schema}")
            for table in spark.catalog.listTables(schema):
                name, folder = f"{schema}.{table.name}", out_dir / schema / table.name
                spark.table(name).write.mode("overwrite").parquet(str(folder))
                # staging models are views; their copy is a table, and replaces a DuckDB view
                con.execute(f"drop view if exists {name}")
                con.execute(f"create or replace table {name} as select * from read_parquet('{folder}/*.parquet')")
                copied.append(name)
    finally:
        con.close()
    return copied


def dbt_main(argv: list[str] | None = None) -> int:
    """`continuity-dbt-spark <dbt args>`: dbt on the Spark target in this process's session.

    Before a command that runs SQL: start the session, register the person-key function, and
    register the raw tables from CONTINUITY_RAW_PARQUET, or (when that is not set) from a fresh
    Parquet export of the DuckDB warehouse's raw schema. After a successful build or run,
    mirror the built tables into the DuckDB warehouse unless CONTINUITY_SPARK_MIRROR=0."""
    from dbt.cli.main import dbtRunner

    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), "")  # none for `--version`
    if command and "--target" not in args and "-t" not in args:  # the Spark target, never the profile's default
        args += ["--target", "spark"]
    spark = None
    settings = run_settings(args)
    warehouse = settings.warehouse
    work = session_dir(settings)
    if command and command not in NO_SESSION_COMMANDS:
        parquet_dir = settings.raw_parquet
        if parquet_dir is None:
            parquet_dir = work / "raw_parquet"
            export_raw_parquet(warehouse, parquet_dir)
        spark = prepare(work, Path(parquet_dir), settings)
    # the publication (its disclosure solver is a dbt Python model) is built on DuckDB from the
    # mirrored tables, as on a cluster (pipelines/spark_thrift.py)
    from pipelines.spark_thrift import publication_on_duckdb, spark_args

    result = dbtRunner().invoke(spark_args(args) if spark is not None else args)
    if result.exception is not None:
        print(f"dbt on Spark failed: {result.exception}", file=sys.stderr)
        return 2
    if result.success and spark is not None and command in ("build", "run") and settings.spark_mirror:
        copied = mirror_to_duckdb(spark, warehouse, work / "mirror")
        print(f"Mirrored {len(copied)} Spark tables into {warehouse}", file=sys.stderr)
        return publication_on_duckdb(args)
    return 0 if result.success else 1


def main() -> None:  # console script
    from pipelines.children import dbt_command, guard, with_settings

    args = list(sys.argv[1:])
    if dbt_command(args) and "--target" not in args and "-t" not in args:
        args += ["--target", "spark"]  # the Spark target, never the deployment's default engine
    args = with_settings(args)
    guard(args)  # die with the run; hold its children lock while alive (pipelines/children.py)
    target = next((v for f, v in zip(args, args[1:], strict=False) if f in ("--target", "-t")), "spark")
    if target == "spark_thrift":  # a cluster over its Thrift server (pipelines/spark_thrift.py)
        from pipelines.spark_thrift import dbt_main as thrift_main

        sys.exit(thrift_main(args))
    sys.exit(dbt_main(args))


if __name__ == "__main__":
    main()
