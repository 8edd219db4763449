"""Great Expectations suites (expectations/*.json) as Dagster asset checks, and the
publication they guard. A failing blocking expectation fails its check with severity ERROR,
and the publication, which depends on every guarded asset, is then not materialised."""

import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from dagster_project.dbt_project import DBT_PROJECT
from dagster_project.resources import WarehouseResource
from dagster_project.settings import WAREHOUSE_POOL, Settings
from pipelines.gates import accepted_overrides
from pipelines.publish import publish
from pipelines.validation import ExpectationResult, SuiteResult, load_suites, run_suite, write_report

SUITES = load_suites()


def report_folder(settings: Settings, run_id: str) -> Path:
    return settings.output / "validation" / run_id


def _record(settings: Settings, run_id: str, result: SuiteResult) -> Path:
    """Keep this suite's result and rewrite the run's report from every result so far."""
    folder = report_folder(settings, run_id)
    (folder / "suites").mkdir(parents=True, exist_ok=True)
    (folder / "suites" / f"{result.name}.json").write_text(json.dumps(asdict(result), default=str))
    results = []
    for path in sorted((folder / "suites").glob("*.json")):
        data = json.loads(path.read_text())
        data["results"] = [ExpectationResult(**r) for r in data["results"]]
        results.append(SuiteResult(**data))
    write_report(results, folder, f"Validation report, run {run_id}")
    latest = settings.output / "validation" / "latest"
    latest.mkdir(parents=True, exist_ok=True)
    for name in ("validation.html", "validation.json"):
        (latest / name).write_bytes((folder / name).read_bytes())
    return folder


def _suite_check(suite: dict) -> dg.AssetChecksDefinition:
    blocking = any(e.get("blocking", True) for b in suite["batches"] for e in b["expectations"])

    @dg.asset_check(
        asset=dg.AssetKey([suite["asset"]]),
        name=f"gx_{suite['name']}",
        blocking=blocking,
        description=f"Great Expectations suite expectations/{suite['name']}.json: {suite.get('description', '')}",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        settings = warehouse.settings
        with warehouse.connect(read_only=True) as con:
            result = run_suite(con, suite)
        _record(settings, context.op_execution_context.run_id, result)
        failed = result.blocking_failures or result.error
        return dg.AssetCheckResult(
            passed=result.passed and not result.warnings,
            severity=dg.AssetCheckSeverity.ERROR if failed else dg.AssetCheckSeverity.WARN,
            metadata={
                "summary": result.summary(),
                "blocking_failures": len(result.blocking_failures),
                "warnings": len(result.warnings),
                "expectations": len(result.results),
            },
        )

    return _check


SUITE_CHECKS = [_suite_check(s) for s in SUITES]


def _mart_keys() -> list[dg.AssetKey]:
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    return sorted(
        {
            dg.AssetKey([n["name"]])
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["fqn"][1] == "marts"
        },
        key=lambda k: k.path,
    )


@dg.asset(
    key="publication",
    group_name="publish",
    deps=sorted({*_mart_keys(), *(dg.AssetKey([s["asset"]]) for s in SUITES)}, key=lambda k: k.path),
    pool=WAREHOUSE_POOL,
    owners=["team:continuity-data"],
    kinds={"duckdb", "parquet"},
    description=(
        "The read-only publication: published/marts.duckdb and published/parquet/<mart>.parquet, with the "
        "validation report; swapped in atomically, and only when every blocking expectation passed."
    ),
)
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    notes = accepted_overrides()  # publication gates accepted for this run (dagster_project/assets/gates.py)
    folder = publish(settings.warehouse, settings.output, report_folder(settings, context.run_id), notes=notes)
    return dg.MaterializeResult(metadata={"path": str(settings.output / "published"), "publication": str(folder)})
