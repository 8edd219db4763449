"""The engine comparison of `make test-spark` (`continuity spark-check`): the full_refresh job
with dbt on DuckDB and, at the same time, the same job with dbt on Spark (every seed, model
and data test); then every dbt unit test on Spark; then every mart of the two builds compared
row by row. A development tool: the Spark engine itself is pipelines/spark.py."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipelines.settings import Settings, child_environment


class SparkCheckError(RuntimeError):
    """A build did not publish: the message names the engine and the end of its log."""


RATE_TOLERANCE = 1e-9


def _is_number(value) -> bool:
    """True for ints, floats and Decimals (numpy's too); False for booleans, dates, text."""
    import numbers
    from decimal import Decimal

    return isinstance(value, (numbers.Number, Decimal)) and not isinstance(value, bool)


def _as_text(value) -> str:
    """Dates compare as ISO dates: DuckDB gives Timestamps, Spark gives datetime.date."""
    return str(value)[:10] if hasattr(value, "isoformat") else str(value)


def _missing(value) -> bool:
    """None, NaN, NaT and pandas' NA: a SQL NULL, whichever engine and dtype returned it."""
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _numeric_columns(*frames) -> set[str]:
    """Columns whose non-null values are all numbers in every frame (and not all null)."""
    numeric = set()
    for column in frames[0].columns:
        present = [v for frame in frames for v in frame[column] if not _missing(v)]
        if present and all(_is_number(v) for v in present):
            numeric.add(column)
    return numeric


def _normalise(frame, numeric: set[str]):
    """One comparable form for both engines: dates and text as strings, numbers as floats,
    nulls as None; rows sorted on every column. Spark returns Decimal and datetime.date
    where DuckDB returns float and Timestamp, so values are compared, not types."""
    import pandas as pd

    out = pd.DataFrame(index=range(len(frame)))
    for column in sorted(frame.columns):
        values = frame[column].reset_index(drop=True)
        if column in numeric:
            out[column] = pd.Series([None if _missing(v) else float(v) for v in values], dtype="float64")
        else:
            out[column] = pd.Series([None if _missing(v) else _as_text(v) for v in values], dtype="object")
    sort_keys = [c for c in out.columns if c not in numeric] + [c for c in out.columns if c in numeric]
    return out.sort_values(sort_keys, na_position="first", kind="mergesort").reset_index(drop=True)


def compare_frames(duck, spark) -> list[str]:
    """Differences between two builds of one mart: columns, row counts, then cell by cell
    (counts and text exactly, rates within RATE_TOLERANCE). Empty when identical."""
    if sorted(duck.columns) != sorted(spark.columns):
        return [f"columns differ: duckdb {sorted(duck.columns)} vs spark {sorted(spark.columns)}"]
    if len(duck) != len(spark):
        return [f"row counts differ: duckdb {len(duck)} vs spark {len(spark)}"]
    numeric = _numeric_columns(duck, spark)
    left, right = _normalise(duck, numeric), _normalise(spark, numeric)
    problems = []
    for column in left.columns:
        a, b = left[column], right[column]
        both_null = a.isna() & b.isna()
        if column in numeric:
            bad = ~both_null & ~((a - b).abs() <= RATE_TOLERANCE)
        else:
            bad = ~both_null & (a.isna() | b.isna() | a.ne(b))
        if bad.any():
            row = int(bad.idxmax())
            problems.append(f"{column}: {int(bad.sum())} rows differ, e.g. duckdb {a[row]!r} vs spark {b[row]!r}")
    return problems


COMPARED_SCHEMAS = ("marts", "publication")  # the exact marts and their disclosure-controlled form


def _tables(warehouse: Path, schema: str) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def compare_warehouses(
    duck_warehouse: Path, spark_warehouse: Path, schemas: tuple[str, ...] = COMPARED_SCHEMAS
) -> dict[str, tuple[int, list[str]]]:
    """Every mart, and every table of the open publication, built on DuckDB against the same
    table built on Spark (and mirrored): {schema.table: (rows, problems)}."""
    results = {}
    for schema in schemas:
        on_spark = set(_tables(spark_warehouse, schema))
        duck = duckdb.connect(str(duck_warehouse), read_only=True)
        other = duckdb.connect(str(spark_warehouse), read_only=True)
        try:
            for table in _tables(duck_warehouse, schema):
                name = f"{schema}.{table}"
                left = duck.sql(f"select * from {name}").df()
                if table not in on_spark:
                    results[name] = (len(left), ["not built on Spark"])
                    continue
                right = other.sql(f"select * from {name}").df()
                results[name] = (len(left), compare_frames(left, right))
        finally:
            duck.close()
            other.close()
    return results


def check_environment(**extra: str) -> dict[str, str]:
    """The children's environment: one pseudonymisation key for both engines (the deployment's,
    or one made for this check), so their person keys can be compared."""
    key = Settings.from_env().pseudo_key or secrets.token_hex(32)
    return child_environment(CONTINUITY_PSEUDO_KEY=key, **extra)


def spark_unit_tests(work_dir: Path, parquet_dir: Path, env: dict[str, str]) -> int:
    """Every dbt unit test (the rules, and through them each dispatched macro) on Spark, in
    the metastore of a finished Spark run (unit tests compile against the built relations).
    dbt runs as `continuity-dbt-spark` in a child process told where that run's session and
    Parquet are; this process's own environment is left alone. Returns its exit code."""
    from pipelines.contract import PROJECT_DIR

    project = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target", "spark"]
    command = [sys.executable, "-m", "pipelines.spark", "test", "--select", "test_type:unit", *project]
    env = {**env, "CONTINUITY_SPARK_DIR": str(work_dir), "CONTINUITY_RAW_PARQUET": str(parquet_dir)}
    return subprocess.run(command, env=env, check=False).returncode


def report_comparison(results: dict[str, tuple[int, list[str]]]) -> int:
    """Print one line per mart (and each difference); the number of marts that differ."""
    failed = 0
    for mart, (rows, problems) in results.items():
        print(f"  {mart:<40} {rows:>9,} rows  {'identical' if not problems else 'DIFFERENT'}")
        for problem in problems:
            print(f"      {problem}")
        failed += bool(problems)
    print("Every mart identical on DuckDB and Spark." if not failed else f"{failed} marts differ between engines.")
    return failed


def start_run(landing: str, work: Path, target: str, env: dict[str, str]) -> tuple[Path, tuple]:
    """The full_refresh job with dbt on `target`, a `continuity run` child with its output in
    <work>/<target>.log, into <work>/<target>/continuity.duckdb: (warehouse, (process, log))."""
    warehouse = work / target / "continuity.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    log = open(work / f"{target}.log", "w")  # noqa: SIM115 - closed by wait_for_runs
    command = [sys.executable, "-m", "dagster_project.cli", "run", "--landing", landing]
    command += ["--warehouse", str(warehouse), "--dbt-target", target]
    print(f"The full_refresh job with dbt on {target}: log {log.name}", flush=True)
    return warehouse, (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), log)


def build_on_both_engines(
    landing: str, work: Path, env: dict[str, str], targets: tuple[str, ...] = ("duckdb", "spark")
) -> dict[str, Path]:
    """The full_refresh job on DuckDB and on Spark at once, each a `continuity run` child
    with its output in <work>/<target>.log: the Spark run mostly waits on Spark's
    per-statement overhead, so the DuckDB run fits beside it on two cores. Returns the two
    warehouses; raises SparkCheckError when either run did not publish."""
    warehouses, runs, started = {}, {}, time.monotonic()
    for target in targets:
        warehouses[target], runs[target] = start_run(landing, work, target, env)
    wait_for_runs(runs, work, started)
    return warehouses


def wait_for_runs(runs: dict[str, tuple], work: Path, started: float) -> None:
    """Wait for every run; SparkCheckError naming those that did not publish, with their logs' ends."""
    failed_runs = []
    for target, (process, log) in runs.items():
        code = process.wait()
        log.close()
        print(f"  {target}: {'published' if code == 0 else 'FAILED'} after {time.monotonic() - started:.0f} s")
        if code != 0:
            failed_runs.append(target)
    if failed_runs:
        tails = {t: (work / f"{t}.log").read_text().splitlines()[-5:] for t in failed_runs}
        raise SparkCheckError(f"the run on {', '.join(failed_runs)} did not publish: {tails}")


def spark_check(landing: str, work: Path) -> int:
    """Both builds, the unit tests on Spark, every mart compared: 0 when all agree, else 1."""
    from pipelines.dbt_runner import ensure_manifest

    started = time.monotonic()
    ensure_manifest()  # once, before two processes would both parse into target/
    env = check_environment()
    warehouses = build_on_both_engines(landing, work, env)
    print("Every dbt unit test on Spark:", flush=True)
    # where that run's session and Parquet are
    spark_dir = Settings.from_env(warehouse=str(warehouses["spark"])).spark_folder
    unit_tests = spark_unit_tests(spark_dir, spark_dir / "raw_parquet", env)
    print("Every mart, DuckDB build against Spark build:", flush=True)
    failed = report_comparison(compare_warehouses(warehouses["duckdb"], warehouses["spark"]))
    print(f"make test-spark: {time.monotonic() - started:.0f} s in all")
    if unit_tests:
        print("dbt unit tests failed on Spark.")
    return 1 if failed or unit_tests else 0
