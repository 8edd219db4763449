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
- ``quarantine_share``: an extract with more than ``gate_quarantine_max_share`` of the lines
  of its new files (loaded since the current publication; every file when there is none)
  quarantined: a bad extract never publishes quietly with most of its rows missing.

The two rate gates read periods with at least ``gate_min_denominator`` judged releases: a
rate on a handful of releases moves by chance. The thresholds are dbt vars documented in
dbt_project.yml; the rates and period labels are read from marts.phof_c20, never recomputed.

A gate that fails blocks the publication (a blocking Dagster asset check,
dagster_project/assets/gates.py) with a one-line reason, unless an analyst accepts it by
name with a reason (``continuity run --accept GATE --reason TEXT``, or the run's
``run_choices`` configuration in the launchpad); accepted gates are listed in the
publication's notes.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.project import project_vars

GATES = ("extracts_current", "c20_change", "c20_band", "quarantine_share")


@dataclass(frozen=True)
class GateRules:
    extracts: tuple[str, ...]
    max_change_points: float
    plausible_pct: tuple[float, float]
    min_denominator: int
    quarantine_max_share: float = 0.05


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    reason: str  # one line: why it failed, or what was checked


def rules_from_project() -> GateRules:
    v = project_vars()
    low, high = v["gate_c20_plausible_pct"]
    return GateRules(
        extracts=tuple(v["gate_c20_extracts"]),
        max_change_points=float(v["gate_c20_max_change_points"]),
        plausible_pct=(float(low), float(high)),
        min_denominator=int(v["gate_min_denominator"]),
        quarantine_max_share=float(v["gate_quarantine_max_share"]),
    )


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
        # the rows raw holds, as the loader recorded them (a withdrawal removes both): the same
        # count whether the rows are in DuckDB's raw schema or in a Spark cluster's lake
        rows = con.execute(
            "select coalesce(sum(rows_loaded), 0) from raw.loaded_files where extract = ?", [extract]
        ).fetchall()[0][0]
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
    "select period_type, period_start, value_pct, denominator, period_label from {table} "
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
        _, _, value, denominator, label = outside[0]
        more = f" (and {len(outside) - 1} other period(s))" if len(outside) > 1 else ""
        return GateResult(
            "c20_band",
            False,
            f"national C20 {label} is {value:.1f}% of {denominator:,} releases{more}, "
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
            select now.period_label, before.value_pct, now.value_pct
            from now join before using (period_type, period_start)
            order by now.period_type <> 'financial_year', abs(now.value_pct - before.value_pct) desc,
                now.period_start
            """
        ).fetchall()
    finally:
        con.execute("detach last_publication")
    moved = [r for r in rows if abs(r[2] - r[1]) > rules.max_change_points]
    if moved:
        label, before, now = moved[0]
        more = f" (and {len(moved) - 1} other period(s))" if len(moved) > 1 else ""
        return GateResult(
            "c20_change",
            False,
            f"national C20 {label} moved from {before:.1f}% to {now:.1f}% "
            f"({now - before:+.1f} points) since the last publication{more}; more than "
            f"{rules.max_change_points:g} points (gate_c20_max_change_points)",
        )
    return GateResult("c20_change", True, f"{len(rows)} national period(s) within {rules.max_change_points:g} points")


def published_files(output: Path) -> set[tuple[str, str]]:
    """(file, sha256) of every extract file the current publication was made from (its notes.json)."""
    try:
        notes = json.loads((output / "published" / "notes.json").read_text())
    except (OSError, ValueError):
        return set()
    return {(f["file"], f["sha256"]) for f in notes.get("extract_files", []) if "file" in f and "sha256" in f}


def quarantine_share(con, rules: GateRules, published: set[tuple[str, str]]) -> GateResult:
    """Per extract, the share of the lines of its new files (not in the current publication)
    that went to quarantine; the worst extract over the limit blocks, with its top reason."""
    con.execute("create or replace temporary table published_files (source_file varchar, file_sha256 varchar)")
    if published:
        con.executemany("insert into published_files values (?, ?)", sorted(published))
    rows = con.execute(
        """
        with new_files as (
            select l.* from raw.loaded_files as l
            anti join published_files as p using (source_file, file_sha256)
        )
        select extract, sum(rows_read) as lines, sum(rows_quarantined) as quarantined
        from new_files group by extract having sum(rows_read) > 0
        order by sum(rows_quarantined) / sum(rows_read) desc, extract
        """
    ).fetchall()
    limit = rules.quarantine_max_share
    over = [(e, n, q) for e, n, q in rows if q / n > limit]
    if not over:
        worst = f"; the most, {rows[0][0]}, {rows[0][2] / rows[0][1]:.1%}" if rows else ""
        return GateResult(
            "quarantine_share", True, f"{len(rows)} extract(s) with new lines, none over {limit:.0%}{worst}"
        )
    extract, lines, quarantined = over[0]
    column, reason, count = con.execute(
        """
        select q.column_name, min(q.reason), count(*) from raw.quarantine as q
        join raw.loaded_files as l using (source_file, file_sha256)
        anti join published_files as p using (source_file, file_sha256)
        where l.extract = ? group by q.column_name order by count(*) desc, q.column_name limit 1
        """,
        [extract],
    ).fetchall()[0]
    more = f" (and {len(over) - 1} other extract(s))" if len(over) > 1 else ""
    return GateResult(
        "quarantine_share",
        False,
        f"{extract}: {quarantined:,} of {lines:,} new lines quarantined ({quarantined / lines:.1%}), more than "
        f"{limit:.0%} (gate_quarantine_max_share){more}; top reason, {count:,} line(s) on {column}: {reason} "
        "(raw.quarantine)",
    )


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
        if gate == "quarantine_share":
            return quarantine_share(con, rules, published_files(output))
    finally:
        con.close()
    raise ValueError(f"unknown gate {gate!r}: one of {', '.join(GATES)}")


def override_for(gate: str, accepted: list[dict]) -> dict | None:
    """The override of `gate` among a run's accepted gates (gate, reason, who, when), if any."""
    return next((o for o in accepted if o["gate"] == gate), None)
