"""What `continuity run` prints after a run: the rows loaded and quarantined, the recording
problems and the headline figures (read from the marts' own columns, labels included), and the
verdict with every check counted. Numbers have thousands separators; text from data is
escaped before it reaches a terminal (`say`)."""

from __future__ import annotations

import sys
from datetime import datetime

from dagster_project.terminal import printable
from pipelines.settings import Settings


def check_summary(check) -> str:
    """One line for an asset check evaluation: the Great Expectations and gate checks carry a
    `summary`; a dbt test says its name and how many rows fail it."""
    metadata = check.metadata
    if "summary" in metadata:
        return str(metadata["summary"].value)
    failed = metadata.get("dagster_dbt/failed_row_count")
    status = metadata.get("status")
    status = status.value if status is not None else "fail"
    if failed is not None:
        return f"dbt test {check.check_name} {status}ed: {failed.value} failing row(s)"
    return f"dbt test {check.check_name}: {status}"


def _mart_rows(con, sql: str) -> list:
    """A summary query on a mart, or no rows when the mart was not built (dbt skips the
    models downstream of a failing test): the run's real failure is said below it."""
    import duckdb

    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []


QUARANTINE_EXAMPLES = 10


C20_SQL = (
    "select period_label, numerator, denominator, pending, value_pct, lower_ci95_pct, upper_ci95_pct "
    "from marts.phof_c20 where geography_type = 'england' and period_type = 'financial_year' order by period_start"
)
# the England rows of the summary mart, added up over its financial years
PROBLEMS_SQL = (
    "select issue_type, sum(issues), sum(releases_would_engage) from marts.recording_issues_summary "
    "where provider_role = 'england' group by issue_type order by issue_type"
)
ER_SQL = (
    "select site, delivery_model, achieved, n, pending, value_pct, lower_ci95_pct, upper_ci95_pct "
    "from marts.er_outcomes_summary where outcome = 'successful_outcome' and priority_group = 'all' order by site"
)


def summarise(result, settings: Settings, since: datetime) -> list[str]:
    """The short run summary: rows per extract, this run's rejections and quarantined lines,
    the recording problems and the headline figures. Text from data is escaped by `say`."""
    import duckdb

    lines = ["Ingestion:"]
    for mat in result.get_asset_materialization_events():
        m = mat.materialization
        if m.asset_key.path[0] == "raw" and "summary" in m.metadata:
            lines.append(f"  {m.metadata['summary'].value}")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        lines += _rejection_lines(con, since)
        c20, problems, er = (_mart_rows(con, sql) for sql in (C20_SQL, PROBLEMS_SQL, ER_SQL))
    finally:
        con.close()
    return lines + _problem_lines(problems) + _c20_lines(c20) + _er_lines(er)


def _rejection_lines(con, since: datetime) -> list[str]:
    """This run's rejected files, and its quarantined lines (the first few of them)."""
    rejected = con.execute(
        "select source_file, reason from raw.rejected_files where rejected_at >= ? order by source_file", [since]
    ).fetchall()
    quarantined = con.execute(
        "select source_file, line_number, reason from raw.quarantine where quarantined_at >= ? "
        f"order by source_file, line_number limit {QUARANTINE_EXAMPLES}",
        [since],
    ).fetchall()
    total_q = con.execute("select count(*) from raw.quarantine where quarantined_at >= ?", [since]).fetchall()[0][0]
    lines = [f"  rejected file {source_file}: {reason}" for source_file, reason in rejected]
    if total_q:
        shown = f"the first {len(quarantined)}" if total_q > len(quarantined) else "each"
        lines.append(f"  {total_q:,} quarantined line(s) in raw.quarantine; {shown}:")
        lines += [f"    {f} line {n}: {r}" for f, n, r in quarantined]
    return lines


def _problem_lines(problems: list) -> list[str]:
    if not problems:
        return []
    from pipelines.reports.labels import issue_labels

    labels = issue_labels()  # the one label table (seeds/recording_issue_types.csv)
    counts = "; ".join(f"{labels.get(t, t)} {n:,}" + (f" ({w:,} would engage)" if w else "") for t, n, w in problems)
    return ["Recording problems (marts.recording_issues_summary; releases a fix would engage):", f"  {counts}"]


def _c20_lines(c20: list) -> list[str]:
    from pipelines.project import window_days

    if not c20:
        return []
    lines = [f"PHOF 2.16 / C20, England, by financial year (engaged within {window_days()} days):"]
    for label, num, den, pending, value, lo, hi in c20:
        if value is None:
            lines.append(f"  {label}: no judged releases yet ({pending:,} pending)")
        else:
            lines.append(
                f"  {label}: {value:.1f}% ({lo:.1f}% to {hi:.1f}%), {num:,} of {den:,} releases"
                + (f", {pending:,} pending" if pending else "")
            )
    return lines


def _er_lines(er: list) -> list[str]:
    if not er:
        return []
    lines = ["Enhanced RECONNECT successful outcome by site (need met or engaged at 12 months):"]
    for site, model, achieved, n, pending, value, lo, hi in er:
        rate = f"{value:.1f}% ({lo:.1f}% to {hi:.1f}%), {achieved:,} of {n:,}" if n else "no one judged yet"
        lines.append(f"  {site} ({model}): {rate}" + (f", {pending:,} pending" if pending else ""))
    return lines


def say(lines: list[str], stream=None) -> None:
    """Print lines built from data with every control character escaped (progress.printable):
    a file name or a bad value holding an escape sequence never reaches the terminal raw."""
    for line in lines:
        print(printable(line), file=stream or sys.stdout)


def publication_outcome(result) -> tuple[bool, list]:
    """Whether this run published, and every asset check evaluation of the run."""
    published = any(
        m.materialization.asset_key.to_user_string() == "publication" for m in result.get_asset_materialization_events()
    )
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    return published, checks


SHOWN_WARNINGS = 5
CHECK_KINDS = ("Great Expectations suite", "publication gate", "dbt test")  # the order the verdict names them


def check_kind(check) -> str:
    """Great Expectations suite, publication gate or dbt test (progress.check_kind_singular)."""
    from dagster_project.progress import check_kind_singular

    return check_kind_singular(check.check_name)


def check_counts(checks: list) -> dict[str, dict[str, int]]:
    """Passed, warned and failed per kind of check: a check that did not pass warns when its
    severity is WARN (it never blocks) and fails when it is ERROR (it blocks the publication)."""
    counts = {kind: {"passed": 0, "warned": 0, "failed": 0} for kind in CHECK_KINDS}
    for c in checks:
        state = "passed" if c.passed else ("failed" if c.severity.value == "ERROR" else "warned")
        counts[check_kind(c)][state] += 1
    return counts


def checks_line(checks: list) -> str:
    """`Checks: 141 run, 140 passed, 1 warned, 0 failed (15 Great Expectations suites: 14 passed,
    1 warned; 3 publication gates: 3 passed; 123 dbt tests: 123 passed)`: per kind, the
    states that occurred."""
    counts = check_counts(checks)
    total = {state: sum(c[state] for c in counts.values()) for state in ("passed", "warned", "failed")}
    kinds = "; ".join(
        f"{sum(c.values())} {kind}{'' if sum(c.values()) == 1 else 's'}: "
        + ", ".join(f"{n} {state}" for state, n in c.items() if n)
        for kind, c in counts.items()
        if sum(c.values())
    )
    return f"Checks: {len(checks)} run, {', '.join(f'{n} {state}' for state, n in total.items())} ({kinds})"


def describe_publication(settings: Settings, published: bool, checks: list) -> list[str]:
    """The verdict: published or not and why, the checks counted, the gates accepted, and
    where the publication, exports, reports, validation report, partner and restricted tiers and
    log are."""
    out = settings.output
    report = out / "validation" / "latest" / "validation.html"
    log = out / "logs" / "last-run.log"
    warnings = [c for c in checks if not c.passed and c.severity.value != "ERROR"]
    blocked = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    accepted = [c for c in warnings if c.check_name.startswith("gate_")]
    if published:
        gates = f"{len(accepted)} publication gate(s) accepted" if accepted else "no publication gate accepted"
        lines = [f"Verdict: published. Every blocking check passed; {gates}.", checks_line(checks)]
    else:
        lines = [f"Verdict: not published. {len(blocked)} blocking check(s) failed.", checks_line(checks)]
    for c in [w for w in warnings if w not in accepted][:SHOWN_WARNINGS]:
        lines.append(f"  Validation warning {c.check_name} on {c.asset_key.to_user_string()}: {check_summary(c)}")
    if len(warnings) - len(accepted) > SHOWN_WARNINGS:
        lines.append(f"  and {len(warnings) - len(accepted) - SHOWN_WARNINGS} more warning(s): see {report}")
    if published:
        if accepted:
            lines.append(
                f"Accepted publication gate(s) {', '.join(c.check_name.removeprefix('gate_') for c in accepted)}: "
                f"listed in {out / 'published' / 'notes.json'}"
            )
        lines += [
            f"Published: {out / 'published'} (marts.duckdb, parquet/, notes.json, validation.html)",
            f"Exports: {out / 'exports'} (prp/, phof/); reports: {out / 'reports'} (slide pack, local-area "
            "profiles, easy-read summary)",
            f"Partner (data-sharing agreements, owner only): {out / 'partner'} (flows, audit funnel, "
            "recording problems by provider, ER by site; exports/, reports/)",
            f"Restricted (record level, owner only, not for release): {out / 'restricted'}",
        ]
    else:
        lines.append("Not published: the previous publication is unchanged.")
        dbt_tests = [c for c in blocked if check_kind(c) == "dbt test"]
        if dbt_tests:
            lines.append(f"  {len(dbt_tests)} dbt test(s) failed: {', '.join(c.check_name for c in dbt_tests)}")
        for c in blocked:
            if c.check_name.startswith("gate_"):
                lines.append(f"  publication gate {c.check_name.removeprefix('gate_')} blocks: {check_summary(c)}")
            else:
                lines.append(
                    f"  blocking check {c.check_name} on {c.asset_key.to_user_string()} failed: {check_summary(c)}"
                )
    lines.append(f"Validation report: {report}; warehouse: {settings.warehouse}; log: {log}")
    return lines
