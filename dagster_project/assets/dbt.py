"""Every dbt seed, model and test as Dagster assets and asset checks."""

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.children import PARENT_VAR
from dagster_project.dbt_project import DBT_PROJECT, TRANSLATOR
from dagster_project.resources import WarehouseResource
from dagster_project.settings import WAREHOUSE_POOL
from pipelines.pseudonymise import DEV_KEY_VAR, check_key_policy
from pipelines.state import build_finished, build_started, current_key, warehouse_digest

KEEP_TARGET_RUNS = 10  # dbt's per-invocation folders under target/ (logs, run_results.json) kept


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def continuity_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings
    # person keys need a secret on real data; checked here, after ingestion, against every
    # file the warehouse holds (pipelines/pseudonymise.py)
    note = check_key_policy(settings.landing, settings.warehouse)
    if note:
        context.log.warning(note)
    # unit tests, and the singular tests tagged code_check (hand-computed macro values, no
    # model), check the rules' code, not the data: tests/dbt runs them in CI, not every run.
    # The warehouse goes to dbt as --vars (profiles.yml), never through this process's environment.
    args = ["build", "--exclude-resource-type", "unit_test", "--exclude", "tag:code_check"]
    # The run's decisions also travel as vars: the development key (only when the policy above
    # allowed it) and this process's pid (the dbt children die with it: dagster_project/children.py).
    run_vars = {**settings.dbt_vars(), PARENT_VAR: os.getpid()}
    if note:
        run_vars[DEV_KEY_VAR] = "1"
    args += ["--vars", json.dumps(run_vars)]
    # which state the models are being built from (nothing new is only said of a finished build)
    with warehouse.connect() as con:
        build_started(con, warehouse_digest(con, settings.dbt_target, current_key()))
    invocation = dbt.cli(args, context=context)
    # DuckDB allows one process per file while dbt writes: the tables are described after
    # dbt has finished, then every event is passed on with row counts and column types
    events, failure = [], None
    try:
        for event in invocation.stream():
            events.append(event)
    except Exception as error:  # noqa: BLE001 - a failed build: its test results still go out first
        failure = error
    yield from with_table_metadata(events, context, warehouse)
    prune_target_runs(invocation.target_path.parent, KEEP_TARGET_RUNS)
    if failure is not None:
        raise failure
    with warehouse.connect() as con:
        build_finished(con)


def _relations() -> dict[str, tuple[str, str]]:
    """Each dbt model and seed (its asset key's name) -> (schema, table) in the warehouse."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    return {
        n["name"]: (n["schema"], n.get("alias") or n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed", "snapshot")
    }


def describe_tables(warehouse: WarehouseResource) -> dict[tuple[str, str], dict]:
    """Row count and column types of every table and view in the warehouse."""
    found: dict[tuple[str, str], list[dg.TableColumn]] = {}
    counts: dict[tuple[str, str], int] = {}
    with warehouse.connect(read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema not in ('information_schema', 'pg_catalog') order by table_schema, table_name, "
            "ordinal_position"
        ).fetchall()
        for schema, table, column, data_type in columns:
            found.setdefault((schema, table), []).append(dg.TableColumn(column, data_type))
        for schema, table in found:
            counts[(schema, table)] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return {
        key: {
            "dagster/row_count": dg.MetadataValue.int(counts[key]),
            "dagster/column_schema": dg.MetadataValue.table_schema(dg.TableSchema(columns=cols)),
        }
        for key, cols in found.items()
    }


def with_table_metadata(events: Iterable, context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
    """The dbt events, each materialisation with its table's row count and column types."""
    try:
        tables = describe_tables(warehouse)
    except Exception:  # noqa: BLE001 - metadata is a courtesy: a missing warehouse never fails a build
        tables = {}
    relations = _relations()
    for event in events:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
        elif isinstance(event, dg.AssetMaterialization):
            key = event.asset_key
        else:
            key = None
        table = relations.get(key.path[-1]) if key is not None else None
        if table in tables:
            event = event.with_metadata({**event.metadata, **tables[table]})
        yield event


def prune_target_runs(target_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` per-invocation folders dagster-dbt leaves in target/
    (one per run); the project's own manifest and partial parse stay. Returns those removed."""
    runs = sorted(
        (p for p in target_dir.iterdir() if p.is_dir() and (p / "run_results.json").exists()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return runs[keep:]
