"""Great Expectations suites (expectations/*.json) as Dagster asset checks. A failing
blocking expectation fails its check with severity ERROR, and the publication
(assets/publication.py), which depends on every guarded asset, is then not materialised."""

import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from dagster_project.resources import WarehouseResource
from pipelines.settings import Settings
from pipelines.validation import (
    ExpectationResult,
    SuiteResult,
    dbt_test_results,
    load_suites,
    load_summary,
    prune_reports,
    run_suite,
    write_report,
)

SUITES = load_suites()


def report_folder(settings: Settings, run_id: str) -> Path:
    return settings.output / "validation" / run_id


def _record(settings: Settings, run_id: str, result: SuiteResult, loads: dict | None = None) -> Path:
    """Keep this suite's result and rewrite the run's report from every result so far."""
    folder = report_folder(settings, run_id)
    (folder / "suites").mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "suites" / f"{result.name}.json").write_text(json.dumps(asdict(result), default=str))
    return rewrite_report(settings, run_id, loads)


def record_gate(settings: Settings, run_id: str, gate: dict, loads: dict | None = None) -> Path:
    """Keep a publication gate's result and rewrite the run's report (assets/gates.py)."""
    folder = report_folder(settings, run_id)
    (folder / "gates").mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "gates" / f"{gate['gate']}.json").write_text(json.dumps(gate, default=str))
    return rewrite_report(settings, run_id, loads)


def rewrite_report(settings: Settings, run_id: str, loads: dict | None = None) -> Path:
    """The run's report from every suite and gate result so far, and the load summary (kept
    from the first check that read it); copied to <output>/validation/latest."""
    folder = report_folder(settings, run_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    results = []
    for path in sorted((folder / "suites").glob("*.json")):
        data = json.loads(path.read_text())
        data["results"] = [ExpectationResult(**r) for r in data["results"]]
        results.append(SuiteResult(**data))
    gates = [json.loads(p.read_text()) for p in sorted((folder / "gates").glob("*.json"))]
    kept = folder / "loads.json"
    if loads is not None:
        kept.write_text(json.dumps(loads, default=str))
    loads = json.loads(kept.read_text()) if kept.exists() else None
    write_report(results, folder, "Validation report", expected=len(SUITES), dbt_tests=dbt_test_results(run_id),
                 gates=gates, loads=loads)  # fmt: skip
    prune_reports(folder.parent, settings.validation_keep, current=folder)
    latest = settings.output / "validation" / "latest"
    latest.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in ("validation.html", "validation.json"):
        (latest / name).write_bytes((folder / name).read_bytes())
    return folder


def _failure_lines(result: SuiteResult) -> list[str]:
    """Each unmet expectation: what failed, where the records are, examples and why it matters."""
    return [
        f"{'BLOCKING' if r.blocking else 'warning'} {r.type} on {result.asset}.{r.column}: "
        + (
            f"{r.unexpected_count} record(s), e.g. {r.examples}"
            if r.unexpected_count is not None
            else f"observed {r.observed}"
        )
        + (f" ({r.why})" if r.why else "")
        for r in [*result.blocking_failures, *result.warnings]
    ]


def check_result(result: SuiteResult, report: Path) -> dg.AssetCheckResult:
    """A suite's outcome as a check result: the reason first (in the description the UI shows
    on the check), the failing records' table and column, and the validation report. Severity
    is WARN only for a suite whose unmet expectations are all non-blocking."""
    failed = bool(result.blocking_failures or result.error)
    passed = result.passed and not result.warnings
    lines = [result.error] if result.error else _failure_lines(result)
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN if not passed and not failed else dg.AssetCheckSeverity.ERROR,
        description=result.summary() if passed else "; ".join(lines) + f". Report: {report}",
        metadata={
            "summary": result.summary(),
            "blocking_failures": len(result.blocking_failures),
            "warnings": len(result.warnings),
            "expectations": len(result.results),
            "failed_expectations": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
            "validation_report": dg.MetadataValue.path(str(report)),
            "validation_report_url": dg.MetadataValue.url(report.as_uri()),
        },
    )


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
            loads = load_summary(con)
        folder = _record(settings, context.op_execution_context.run_id, result, loads)
        return check_result(result, folder / "validation.html")

    return _check


SUITE_CHECKS = [_suite_check(s) for s in SUITES]
