"""Every dbt seed, model and test as Dagster assets and asset checks."""

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from uuid import uuid4

import dagster as dg
from dagster_dbt import dbt_assets

from dagster_project.dbt_project import DBT_PROJECT, TRANSLATOR
from dagster_project.resources import RunChoices, WarehouseResource, dbt_resource
from pipelines.children import PARENT_VAR
from pipelines.pseudonymise import secret_key
from pipelines.settings import WAREHOUSE_POOL
from pipelines.state import build_finished, build_started, current_key, warehouse_digest

KEEP_TARGET_RUNS = 10  # dbt's per-invocation folders under target/ (logs, run_results.json) kept
PARSE_STATE = "partial_parse.msgpack"  # dbt's parse state, in each invocation's folder
PARSE_STATES = "parse-states"  # under target/: the parse state of the last build per set of vars
KEEP_PARSE_STATES = 16  # about 2 MB each


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def continuity_dbt_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource, run_choices: RunChoices):
    settings = warehouse.settings
    # the person keys' secret: CONTINUITY_PSEUDO_KEY, or this warehouse's own key file, made
    # by its first run (pipelines/pseudonymise.py); never passed to dbt, which reads it itself
    secret_key(settings)
    # unit tests, and the singular tests tagged code_check (hand-computed macro values, no
    # model), check the rules' code, not the data: tests/dbt runs them in CI, not every run.
    # The warehouse goes to dbt as --vars (profiles.yml), never through this process's environment.
    args = ["build", "--exclude-resource-type", "unit_test", "--exclude", "tag:code_check"]
    if run_choices.full_refresh:
        args.append("--full-refresh")  # the incremental staging tables rebuilt from raw
    # this process's pid travels as a var too: the dbt children die with it (pipelines/children.py)
    dbt_vars = settings.dbt_vars()
    args += ["--vars", json.dumps({**dbt_vars, PARENT_VAR: os.getpid()})]
    dbt = dbt_resource(settings.dbt_target)
    # which state the models are being built from (nothing new is only said of a finished build)
    with warehouse.connect() as con:
        build_started(con, warehouse_digest(con, settings.dbt_target, current_key(settings)))
    # the parse state dbt left the last time it built with these vars (this warehouse's)
    state = parse_state_key(dbt_vars, settings.dbt_target)
    target_path = Path("target", f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid4().hex[:7]}")
    restore_partial_parse(DBT_PROJECT.project_dir / target_path, state)
    invocation = dbt.cli(args, context=context, target_path=target_path)
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
    keep_partial_parse(invocation.target_path, state)


def _relations() -> dict[str, tuple[str, str]]:
    """Each dbt model and seed (its asset key's name) -> (schema, table) in the warehouse."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    return {
        n["name"]: (n["schema"], n.get("alias") or n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed", "snapshot")
    }


def describe_tables(warehouse: WarehouseResource, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Row count and column schema (types and descriptions) of each wanted table or view."""
    from dagster_project.catalogue import describe

    with warehouse.connect(read_only=True) as con:
        return {key: meta for key in sorted(wanted) if (meta := describe(con, *key))}


def with_table_metadata(events: Iterable, context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
    """The dbt events, each materialisation with its table's row count and column types."""
    relations = _relations()
    try:
        tables = describe_tables(warehouse, set(relations.values()))
    except Exception:  # noqa: BLE001 - metadata is a courtesy: a missing warehouse never fails a build
        tables = {}
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


def parse_state_key(dbt_vars: dict, target: str) -> str:
    """Which parse state a build can start from: dbt parses the whole project (about 4 s)
    whenever its vars, profile or target differ from those of the parse state it finds, and
    the warehouse's path is among the vars."""
    return hashlib.sha256(json.dumps([dbt_vars, target], sort_keys=True).encode()).hexdigest()[:16]


def restore_partial_parse(run_target: Path, state: str) -> None:
    """The parse state the last build with the same vars left (target/parse-states/), put in
    this build's folder, so that dbt parses only the files changed since, although builds on
    other warehouses ran in between. None kept: dagster-dbt copies the project's last one."""
    kept = run_target.parent / PARSE_STATES / f"{state}.msgpack"
    if kept.is_file():
        run_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, run_target / PARSE_STATE)


def keep_partial_parse(run_target: Path, state: str | None = None) -> None:
    """This build's parse state (partial_parse.msgpack) as the project's (dagster-dbt copies
    target/partial_parse.msgpack into each invocation's folder; `dagster dev` and a bare
    `continuity-dbt` use it too) and, under `state`, as the one the next build with the same
    vars starts from (the newest KEEP_PARSE_STATES are kept). dbt checks the vars, profile and
    every file's checksum itself, and parses whole when they differ. Replaced atomically:
    runs on other warehouses may race."""
    source = run_target / PARSE_STATE
    if not source.is_file():
        return
    copies = [run_target.parent / PARSE_STATE]
    if state is not None:
        copies.append(run_target.parent / PARSE_STATES / f"{state}.msgpack")
    for target in copies:
        scratch = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, scratch)
            os.replace(scratch, target)
        except OSError:  # a courtesy: the next run parses whole
            scratch.unlink(missing_ok=True)
    states = sorted((run_target.parent / PARSE_STATES).glob("*.msgpack"), key=_mtime, reverse=True)
    for old in states[KEEP_PARSE_STATES:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by a concurrent build's pruning
        return 0.0


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
