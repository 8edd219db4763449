"""Publication gates: nothing wrong is published quietly.

Great Expectations checks that each table is well formed; a gate checks that the indicator
is believable before it is published:

- ``extracts_current``: every extract C20 needs (dbt var ``gate_c20_extracts``) has current
  rows (a withdrawn file's rows are not current) and a file for the latest extract date any
  of them has. Without the community extract C20 would be 0% (nobody engaged), not unknown.
- ``c20_change``: the national C20 of a period moved more than ``gate_c20_max_change_points``
  percentage points from the last publication (``<output>/published/marts.duckdb``; skipped
  when there is none).
- ``c20_band``: the national C20 of a period is outside ``gate_c20_plausible_pct``.

The two rate gates read periods with at least ``gate_min_denominator`` judged releases: a
rate on a handful of releases moves by chance. The thresholds are dbt vars documented in
dbt_project.yml; the rates themselves are read from marts.phof_c20, never recomputed.

A gate that fails blocks the publication (a blocking Dagster asset check,
dagster_project/assets/gates.py) with a one-line reason, unless an analyst accepts it by
name with a reason (``continuity run --accept GATE --reason TEXT``); accepted gates are
listed in the publication's notes.json.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from pipelines.contract import PROJECT_DIR

GATES = ("extracts_current", "c20_change", "c20_band")
# JSON list of {gate, reason, who, when}: read when no run of the CLI is under way in this
# process; the CLI passes its --accept overrides with `accepting`, never through the environment
ACCEPTED_ENV = "CONTINUITY_ACCEPTED_GATES"
_accepted_by_cli: list[list[dict]] = []


@dataclass(frozen=True)
class GateRules:
    extracts: tuple[str, ...]
    max_change_points: float
    plausible_pct: tuple[float, float]
    min_denominator: int


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    reason: str  # one line: why it failed, or what was checked


@cache
def rules_from_project() -> GateRules:
    v = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    low, high = v["gate_c20_plausible_pct"]
    return GateRules(
        extracts=tuple(v["gate_c20_extracts"]),
        max_change_points=float(v["gate_c20_max_change_points"]),
        plausible_pct=(float(low), float(high)),
        min_denominator=int(v["gate_min_denominator"]),
    )


def _period(period_type: str, start) -> str:
    if period_type == "financial_year":
        return f"{start.year}-{str(start.year + 1)[2:]}"
    return f"{period_type.replace('_', ' ')} from {start.isoformat()}"


def extracts_current(con, rules: GateRules) -> GateResult:
    problems = []
    latest = {
        extract: day
        for extract, day in con.execute(
            "select extract, max(extract_date) from raw.loaded_files group by extract"
        ).fetchall()
    }
    newest = max((latest[e] for e in rules.extracts if e in latest), default=None)
    for extract in rules.extracts:
        rows = con.execute(f"select count(*) from raw.{extract}").fetchall()[0][0]
        if rows == 0:
            problems.append(f"{extract} has no current rows")
        elif newest is not None and latest.get(extract) != newest:
            problems.append(
                f"{extract} has no file for the latest extract date {newest.isoformat()} "
                f"(its latest is {latest[extract].isoformat()})"
            )
    if problems:
        return GateResult("extracts_current", False, "; ".join(problems) + ": C20 needs every one of them current")
    return GateResult("extracts_current", True, f"{', '.join(rules.extracts)} current to {newest}")


_NATIONAL = (
    "select period_type, period_start, value_pct, denominator from {table} "
    "where geography_type = 'england' and value_pct is not null and denominator >= {minimum}"
)


def c20_band(con, rules: GateRules) -> GateResult:
    low, high = rules.plausible_pct
    rows = con.execute(
        _NATIONAL.format(table="marts.phof_c20", minimum=rules.min_denominator)
        + " order by period_type <> 'financial_year', period_start"
    ).fetchall()
    outside = [r for r in rows if not low <= r[2] <= high]
    if outside:
        period_type, start, value, denominator = outside[0]
        more = f" (and {len(outside) - 1} other period(s))" if len(outside) > 1 else ""
        return GateResult(
            "c20_band",
            False,
            f"national C20 {_period(period_type, start)} is {value:.1f}% of {denominator} releases{more}, "
            f"outside the plausible {low:g}%-{high:g}% (gate_c20_plausible_pct)",
        )
    return GateResult("c20_band", True, f"{len(rows)} national period(s) within {low:g}%-{high:g}%")


def c20_change(con, rules: GateRules, published: Path) -> GateResult:
    if not published.exists():
        return GateResult("c20_change", True, "no earlier publication to compare with")
    con.execute(f"attach '{published}' as last_publication (read_only)")
    try:
        rows = con.execute(
            f"""
            with now as ({_NATIONAL.format(table="marts.phof_c20", minimum=rules.min_denominator)}),
            before as ({_NATIONAL.format(table="last_publication.main.phof_c20", minimum=rules.min_denominator)})
            select now.period_type, now.period_start, before.value_pct, now.value_pct
            from now join before using (period_type, period_start)
            order by now.period_type <> 'financial_year', abs(now.value_pct - before.value_pct) desc,
                now.period_start
            """
        ).fetchall()
    finally:
        con.execute("detach last_publication")
    moved = [r for r in rows if abs(r[3] - r[2]) > rules.max_change_points]
    if moved:
        period_type, start, before, now = moved[0]
        more = f" (and {len(moved) - 1} other period(s))" if len(moved) > 1 else ""
        return GateResult(
            "c20_change",
            False,
            f"national C20 {_period(period_type, start)} moved from {before:.1f}% to {now:.1f}% "
            f"({now - before:+.1f} points) since the last publication{more}; more than "
            f"{rules.max_change_points:g} points (gate_c20_max_change_points)",
        )
    return GateResult("c20_change", True, f"{len(rows)} national period(s) within {rules.max_change_points:g} points")


def evaluate(
    gate: str, warehouse: Path, output: Path, rules: GateRules | None = None, memory_limit: str | None = None
) -> GateResult:
    """One gate against the warehouse (read-only) and, for c20_change, the last publication,
    within the run's DuckDB memory limit."""
    rules = rules or rules_from_project()
    con = duckdb.connect(str(warehouse), read_only=True, config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        if gate == "extracts_current":
            return extracts_current(con, rules)
        if gate == "c20_band":
            return c20_band(con, rules)
        if gate == "c20_change":
            return c20_change(con, rules, output / "published" / "marts.duckdb")
    finally:
        con.close()
    raise ValueError(f"unknown gate {gate!r}: one of {', '.join(GATES)}")


@contextmanager
def accepting(overrides: list[dict]):
    """While the block lasts, the gate checks and notes.json of the run in this process read
    these overrides (the CLI's `--accept`), none other: an override never outlives its run."""
    _accepted_by_cli.append(list(overrides))
    try:
        yield
    finally:
        _accepted_by_cli.pop()


def accepted_overrides() -> list[dict]:
    """The gates an analyst accepted for this run (gate, reason, who, when)."""
    if _accepted_by_cli:
        return list(_accepted_by_cli[-1])
    return json.loads(os.environ.get(ACCEPTED_ENV) or "[]")


def override_for(gate: str) -> dict | None:
    return next((o for o in accepted_overrides() if o["gate"] == gate), None)
