"""The publication gates of pipelines/gates.py as blocking Dagster asset checks on phof_c20.

A failing gate fails its check with severity ERROR, so the publication (which depends on
phof_c20) is not materialised, and the CLI prints the gate's one-line reason. A gate the
analyst accepted for this run (`continuity run --accept GATE --reason TEXT`, or the
`run_choices` resource's `accept` in the launchpad) that fails is
reported with severity WARN, naming who accepted it and why, and does not block."""

import dagster as dg

from dagster_project.assets.validation import record_gate
from dagster_project.resources import RunChoices, WarehouseResource
from pipelines.gates import GATES, evaluate, override_for

DESCRIPTIONS = {
    "extracts_current": "Every extract C20 needs has current rows and a file for the latest extract date.",
    "c20_change": "The national C20 of each period moved no more than gate_c20_max_change_points since the "
    "last publication.",
    "c20_band": "The national C20 of each period is within gate_c20_plausible_pct.",
    "quarantine_share": "No extract has more than gate_quarantine_max_share of the lines of its new files quarantined.",
}


def _gate_check(gate: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["phof_c20"]),
        name=f"gate_{gate}",
        blocking=True,
        description=f"Publication gate {gate} (pipelines/gates.py): {DESCRIPTIONS[gate]}",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, run_choices: RunChoices
    ) -> dg.AssetCheckResult:
        settings = warehouse.settings
        result = evaluate(gate, settings.warehouse, settings.output, memory_limit=settings.memory_limit)
        accepted = override_for(gate, run_choices.accepted())
        summary = result.reason
        if not result.passed:
            if accepted:
                summary = f"accepted by {accepted['who']} ({accepted['reason']}): {result.reason}"
            else:
                summary = f"{result.reason} (to publish anyway: continuity run --accept {gate} --reason TEXT)"
        # the gate in the run's validation report, beside the suites and the dbt tests
        record_gate(settings, context.op_execution_context.run_id,
                    {"gate": gate, "passed": result.passed, "accepted": bool(accepted and not result.passed),
                     "summary": summary, "why": DESCRIPTIONS[gate]})  # fmt: skip
        return dg.AssetCheckResult(
            passed=result.passed,
            # WARN only for a failure the analyst accepted; a pass carries the default, ERROR
            severity=dg.AssetCheckSeverity.WARN if accepted and not result.passed else dg.AssetCheckSeverity.ERROR,
            description=summary,
            metadata={"summary": summary, "gate": gate, "accepted": bool(accepted and not result.passed)},
        )

    return _check


GATE_CHECKS = [_gate_check(g) for g in GATES]
