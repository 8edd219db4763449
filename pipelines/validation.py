"""Great Expectations suites kept as files under expectations/, run on DuckDB query results.

GX 1.x cannot validate DuckDB through SQLAlchemy, so each batch of a suite is a read-only
DuckDB query turned into a pandas frame and validated with an ephemeral context and the
pandas datasource. GX is imported inside the functions that need it (a 3-5 s import).

The rule: GX sees aggregates or marts, never a full copy of a table above ~100k rows.
DuckDB does the counting, GX judges small frames:
- codes and small value ranges: one row per distinct value with how many rows hold it
  (`group by grouping sets ((a), (b))`, the batch's "weight" column); every row's value is
  still validated, and an unmet expectation counts the table rows, not the frame rows;
- pair comparisons (end >= start), null counts, formats: one row of counts of offending
  rows, each expected to be 0; wide ranges: one row of the minimum, one of the maximum;
- key uniqueness is a dbt test (models/staging/*/*.yml) and stays there.
An unmet expectation with an "offending" query takes its unexpected count and up to five
examples from that query (run only on failure): the source file and line of offending rows
for identifying columns, never their values. A batch returning more than MAX_FRAME_ROWS rows
is refused (the suite fails), so a full copy can never slip back in.

A suite file:
    {"name": ..., "asset": the Dagster asset it guards, "description": ...,
     "batches": [{"sql": "select ...", "weight": optional column of row counts,
         "expectations": [{"type": "expect_...", "kwargs": {...}, "blocking": true|false,
             "why": "...", "offending": optional "select source_file, line_number ..."}]}]}
A kwargs value {"$seed": "file.column"} is replaced by that seed column's values and
{"$seed_count": "file"} by the seed's row count, so code lists come from the seeds.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.contract import PROJECT_DIR, SEEDS_DIR

EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
EXAMPLES = 5
MAX_FRAME_ROWS = 100_000  # above this a batch is a copy of a table, not an aggregate: refused
DBT_TARGET_DIR = PROJECT_DIR / "target"
# <output>/validation/<run-id>/ folders kept (the newest; `latest` is always kept)
KEEP_ENV, KEEP_DEFAULT = "CONTINUITY_VALIDATION_KEEP", 20
STATES = ("passed", "warned", "failed")
# Columns that identify a person (indicators.md s.6): their failing values never reach a
# report, a log or the terminal; the examples name the source file and line instead.
IDENTIFYING_COLUMNS = frozenset(
    {"crn", "client_id", "client", "first_initial", "surname_initial", "date_of_birth", "attributor_key"}
)


@dataclass
class ExpectationResult:
    type: str
    column: str
    blocking: bool
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    why: str = ""
    observed: str = ""


@dataclass
class SuiteResult:
    name: str
    asset: str
    description: str
    results: list[ExpectationResult]
    error: str = ""

    @property
    def blocking_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if r.blocking and not r.success]

    @property
    def warnings(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.blocking and not r.success]

    @property
    def passed(self) -> bool:
        return not self.error and not self.blocking_failures

    def summary(self) -> str:
        if self.error:
            return f"{self.name}: could not run ({self.error})"
        parts = [
            f"{self.name}: {len(self.results) - len(self.blocking_failures) - len(self.warnings)} of "
            f"{len(self.results)} expectations met"
        ]
        for r in self.blocking_failures:
            parts.append(f"BLOCKING {r.type}({r.column}) failed: {r.unexpected_count} unexpected, e.g. {r.examples}")
        for r in self.warnings:
            parts.append(f"warning {r.type}({r.column}): {r.unexpected_count} unexpected, e.g. {r.examples}")
        return "; ".join(parts)


@dataclass
class DbtTestResult:
    """One dbt data test of the run, as dbt's run_results.json records it."""

    name: str
    status: str  # pass, warn, fail, error or skipped
    failures: int | None = None
    message: str = ""

    @property
    def state(self) -> str:
        """passed, warned, failed (fail or error) or skipped."""
        return {"pass": "passed", "warn": "warned", "fail": "failed", "error": "failed"}.get(self.status, "skipped")


def dbt_test_results(run_id: str, target_dir: Path = DBT_TARGET_DIR) -> list[DbtTestResult] | None:
    """The dbt data tests of a Dagster run, from the run_results.json of its dbt build.

    dagster-dbt gives each invocation its own target folder <op>-<run id[:7]>-<nonce>; the
    newest such folder of this run holds the build's results. Every data test is there,
    also the singular ones no asset check carries. None when the run has none (yet)."""
    candidates = sorted(target_dir.glob(f"*-{run_id[:7]}-*/run_results.json"), key=lambda p: p.stat().st_mtime)
    if not run_id or not candidates:
        return None
    try:
        results = json.loads(candidates[-1].read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None
    return [
        DbtTestResult(
            name=r["unique_id"].split(".")[2],
            status=str(r.get("status", "")),
            failures=r.get("failures"),
            message=" ".join(str(r.get("message") or "").split())[:300],
        )
        for r in sorted(results, key=lambda r: r["unique_id"])
        if r["unique_id"].startswith("test.")
    ]


def summary_table(results: list[SuiteResult], dbt_tests: list[DbtTestResult] | None) -> dict[str, dict[str, int]]:
    """Passed, warned and failed per kind: Great Expectations suites (a suite warns when it
    passed with a non-blocking expectation unmet), their expectations, and dbt tests."""
    table = {kind: dict.fromkeys(STATES, 0) for kind in ("suites", "expectations", "dbt tests")}
    for suite in results:
        table["suites"]["failed" if not suite.passed else ("warned" if suite.warnings else "passed")] += 1
        for r in suite.results:
            table["expectations"]["passed" if r.success else ("failed" if r.blocking else "warned")] += 1
    for t in dbt_tests or []:
        table["dbt tests"][t.state] = table["dbt tests"].get(t.state, 0) + 1
    return table


def prune_reports(validation_dir: Path, keep: int | None = None, current: Path | None = None) -> list[Path]:
    """Delete all but the newest `keep` run folders under <output>/validation (never
    `latest`, never the current run's); return what was deleted. keep: CONTINUITY_VALIDATION_KEEP
    or 20. dbt's own target/ run folders are pruned elsewhere."""
    keep = int(os.environ.get(KEEP_ENV, KEEP_DEFAULT)) if keep is None else keep
    runs = [
        p
        for p in validation_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and p.name != "latest" and (current is None or p != current)
    ]
    runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    old = runs[max(keep - (1 if current is not None else 0), 0) :]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return old


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _seed_values(ref: str, seeds_dir: Path) -> list[str]:
    stem, column = ref.split(".")
    with open(seeds_dir / f"{stem}.csv", newline="", encoding="utf-8") as f:
        return sorted({row[column].strip() for row in csv.DictReader(f)})


def _seed_count(stem: str, seeds_dir: Path) -> int:
    with open(seeds_dir / f"{stem}.csv", newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def resolve(value, seeds_dir: Path = SEEDS_DIR):
    """Replace {"$seed": "file.column"} and {"$seed_count": "file"} placeholders."""
    if isinstance(value, dict):
        if "$seed" in value:
            return _seed_values(value["$seed"], seeds_dir)
        if "$seed_count" in value:
            return _seed_count(value["$seed_count"], seeds_dir)
        return {k: resolve(v, seeds_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, seeds_dir) for v in value]
    return value


def _expectation(gx, spec: dict, seeds_dir: Path):
    class_name = "".join(part.capitalize() for part in spec["type"].split("_"))
    return getattr(gx.expectations, class_name)(**resolve(spec["kwargs"], seeds_dir))


def _context():
    """An ephemeral GX context on pandas, analytics off in the context itself (GX also
    honours GX_ANALYTICS_ENABLED=false)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    config = DataContextConfig(
        analytics_enabled=False, store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def run_suite(con, suite: dict, seeds_dir: Path = SEEDS_DIR) -> SuiteResult:
    """Validate every batch of a suite against the open (read-only) DuckDB connection."""
    source = _context().data_sources.add_pandas("warehouse")
    results: list[ExpectationResult] = []
    try:
        for number, batch_spec in enumerate(suite["batches"]):
            results += _validate_batch(con, source, f"{suite['name']}_{number}", batch_spec, seeds_dir)
    except Exception as e:  # noqa: BLE001 - a suite that cannot run is a failure, reported as such
        return SuiteResult(
            suite["name"], suite["asset"], suite.get("description", ""), results, error=" ".join(str(e).split())[:400]
        )
    return SuiteResult(suite["name"], suite["asset"], suite.get("description", ""), results)


def _validate_batch(con, source, name: str, batch_spec: dict, seeds_dir: Path) -> list[ExpectationResult]:
    """One batch: its SQL's (small) frame validated against its expectations, in spec order."""
    import great_expectations as gx

    frame = batch_frame(con, batch_spec["sql"])
    weight = batch_spec.get("weight")
    # a weighted frame is small: every unexpected row's index, to count the rows it stands for
    result_format = {"result_format": "COMPLETE" if weight else "SUMMARY", "partial_unexpected_count": EXAMPLES}
    asset = source.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    gx_suite = gx.ExpectationSuite(name=name)
    resolved = [(spec, resolve(spec["kwargs"], seeds_dir)) for spec in batch_spec["expectations"]]
    for spec, _ in resolved:
        gx_suite.add_expectation(_expectation(gx, spec, seeds_dir))
    outcome = batch.validate(gx_suite, result_format=result_format)
    matched = _match_results(outcome.results, resolved)
    if len(matched) != len(resolved):  # never drop a result: validate one by one instead
        matched = {
            i: batch.validate(_expectation(gx, spec, seeds_dir), result_format=result_format)
            for i, (spec, _) in enumerate(resolved)
        }
    return [_result(con, resolved[i][0], matched[i], frame, weight) for i in sorted(matched)]


def _match_results(results, resolved: list[tuple[dict, dict]]) -> dict:
    """GX 1.x returns results in its own order with no ids on ephemeral expectations: match
    each result to its spec by type and the spec's own (resolved) arguments."""
    signatures = [_signature(spec["type"], kwargs, kwargs) for spec, kwargs in resolved]
    matched = {}
    for r in results:
        config = r.expectation_config
        for i, (_spec, kwargs) in enumerate(resolved):
            if i not in matched and _signature(config.type, config.kwargs, kwargs) == signatures[i]:
                matched[i] = r
                break
    return matched


def _result(con, spec: dict, r, frame, weight: str | None) -> ExpectationResult:
    """One expectation's outcome as the report shows it: counts, masked examples, or the
    offending rows' files and lines when it failed and the spec says how to find them."""
    detail = r.result or {}
    kwargs = spec["kwargs"]
    column = (
        kwargs.get("column") or ",".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs) or "table"
    )
    examples = [_plain(v) for v in (detail.get("partial_unexpected_list") or [])[:EXAMPLES]]
    examples = masked_examples(frame, kwargs, examples)
    unexpected = detail.get("unexpected_count")
    if weight and unexpected is not None:
        unexpected = int(frame.loc[detail.get("unexpected_index_list") or [], weight].sum())
    if not r.success and spec.get("offending"):
        unexpected, examples = offending_rows(con, spec["offending"])
    return ExpectationResult(
        type=spec["type"],
        column=column,
        blocking=spec.get("blocking", True),
        success=bool(r.success),
        unexpected_count=unexpected,
        examples=examples,
        why=spec.get("why", ""),
        observed=_plain(detail.get("observed_value", "")),
    )


def batch_frame(con, sql: str):
    """A batch's rows as a pandas frame; more than MAX_FRAME_ROWS is refused (module docstring)."""
    frame = con.execute(f"select * from ({sql}) limit {MAX_FRAME_ROWS + 1}").df()
    if len(frame) > MAX_FRAME_ROWS:
        raise ValueError(
            f"a batch returned more than {MAX_FRAME_ROWS:,} rows: let DuckDB aggregate (counts, ranges, "
            "distinct values with their counts) instead of copying a table into Python"
        )
    return frame


def offending_rows(con, sql: str) -> tuple[int, list]:
    """How many rows an expectation's `offending` query returns, and up to EXAMPLES of them:
    "<file> line <n>" when it gives the rows' lineage, else the values (masked for an
    identifying column)."""
    count = con.execute(f"select count(*) from ({sql})").fetchone()[0]
    cursor = con.execute(sql)
    columns = [d[0].lower() for d in cursor.description]
    rows = cursor.fetchmany(EXAMPLES)
    if {"source_file", "line_number"} <= set(columns):
        file, line = columns.index("source_file"), columns.index("line_number")
        return count, [f"{row[file]} line {int(row[line])}" for row in rows]
    if IDENTIFYING_COLUMNS.intersection(columns):
        return count, ["masked (identifying column)"] * len(rows)
    return count, [_plain(row[0]) if len(row) == 1 else _plain(list(row)) for row in rows]


def masked_examples(frame, kwargs: dict, examples: list) -> list:
    """Failing values as examples, except for identifying columns: there each example is the
    source file and line of a row holding it (or just "masked" when the batch has no lineage)."""
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    if not IDENTIFYING_COLUMNS.intersection(c.lower() for c in columns):
        return examples
    if not {"source_file", "line_number"} <= set(frame.columns):
        return ["masked (identifying column)"] * len(examples)
    located = []
    for example in examples:
        values = example if isinstance(example, list) and len(example) == len(columns) else [example]
        match = None
        for column, value in zip(columns, values, strict=False):
            hit = frame[column].map(_text) == _text(value)
            match = hit if match is None else match & hit
        rows = frame[match] if match is not None else frame.iloc[0:0]
        if len(rows):
            located.append(f"{rows['source_file'].iloc[0]} line {int(rows['line_number'].iloc[0])}")
        else:
            located.append("masked (identifying column)")
    return located


def _text(value) -> str:
    """A value as comparable text: a date or a midnight timestamp as YYYY-MM-DD."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]00:00:00(\.0+)?)?", text) else text


def _signature(type_: str, kwargs: dict, keys) -> str:
    """An expectation's type and the values of `keys` among its arguments, comparable as text
    (numbers as floats: GX stores min_value 0 as 0.0)."""

    def norm(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return [norm(x) for x in v] if isinstance(v, list) else _plain(v)

    return type_ + json.dumps({k: norm(kwargs.get(k)) for k in sorted(keys)}, sort_keys=True, default=str)


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def _summary_html(table: dict[str, dict[str, int]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(kind)}</td>" + "".join(f"<td>{counts.get(state, 0)}</td>" for state in STATES) + "</tr>"
        for kind, counts in table.items()
    )
    return "<table class='summary'><tr><th></th><th>passed</th><th>warned</th><th>failed</th></tr>" + rows + "</table>"


def _dbt_html(dbt_tests: list[DbtTestResult] | None) -> str:
    if dbt_tests is None:
        return "<h2>dbt tests</h2><p>No dbt test results for this run (dbt did not run, or its results are gone).</p>"
    rows = [
        "<h2>dbt tests <small>dbt's run_results.json of this run's build</small></h2>",
        "<table><tr><th>test</th><th>result</th><th>failing rows</th><th>message</th></tr>",
    ]
    for t in dbt_tests:
        cls = {"passed": "pass", "warned": "warn", "failed": "fail"}.get(t.state, "")
        failures = "" if t.failures is None else t.failures
        rows.append(
            f"<tr class='{cls}'><td>{html.escape(t.name)}</td><td>{html.escape(t.status)}</td>"
            f"<td>{failures}</td><td>{html.escape(t.message if t.state != 'passed' else '')}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _suite_html(suite: SuiteResult) -> str:
    """One suite's section of the HTML report: a table of its expectations."""
    state = "passed" if suite.passed else "FAILED"
    rows = [f"<h3>{html.escape(suite.name)} <small>guards {html.escape(suite.asset)} - {state}</small></h3>"]
    if suite.error:
        rows.append(f"<p class='fail'>Could not run: {html.escape(suite.error)}</p>")
    rows.append(
        "<table><tr><th>expectation</th><th>column</th><th>kind</th><th>result</th>"
        "<th>unexpected</th><th>examples</th><th>why</th></tr>"
    )
    for r in suite.results:
        cls = "pass" if r.success else ("fail" if r.blocking else "warn")
        rows.append(
            f"<tr class='{cls}'><td>{html.escape(r.type)}</td><td>{html.escape(r.column)}</td>"
            f"<td>{'blocking' if r.blocking else 'warning'}</td><td>{'pass' if r.success else 'FAIL'}</td>"
            f"<td>{'' if r.unexpected_count is None else r.unexpected_count}</td>"
            f"<td>{html.escape(json.dumps(r.examples, default=str))}</td><td>{html.escape(r.why)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _verdict(results: list[SuiteResult], complete: bool, expected: int | None, passed: bool, dbt_failed: int) -> str:
    if not complete:
        return f"Incomplete: {len(results)} of {expected} suites ran. Nothing is published from an incomplete run."
    if passed:
        return "Every blocking expectation and every dbt test passed."
    if dbt_failed and all(r.passed for r in results):
        return f"{dbt_failed} dbt test(s) failed: nothing was published."
    return "A blocking expectation failed: nothing was published."


def write_report(
    results: list[SuiteResult],
    folder: Path,
    title: str,
    expected: int | None = None,
    dbt_tests: list[DbtTestResult] | None = None,
) -> tuple[Path, Path]:
    """The validation report of a run: JSON for machines, HTML (no CDN, no script) for people.
    Dated, with a summary table (suites, expectations and dbt tests passed, warned, failed)
    and the dbt tests beside the suites. With `expected` suites, a report holding fewer is
    incomplete and never says passed (a run killed half way through validation must not
    look like a pass); a failed dbt test fails the report too."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    complete = expected is None or len(results) >= expected
    produced = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    table = summary_table(results, dbt_tests)
    dbt_failed = table["dbt tests"]["failed"]
    payload = {
        "title": title,
        "produced": produced,
        "complete": complete,
        "suites_run": len(results),
        "suites_expected": expected,
        "passed": complete and all(r.passed for r in results) and not dbt_failed,
        "summary": table,
        "suites": [{**asdict(r), "passed": r.passed} for r in results],
        "dbt_tests": None if dbt_tests is None else [{**asdict(t), "state": t.state} for t in dbt_tests],
    }
    json_path = folder / "validation.json"
    json_path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    rows = [_suite_html(suite) for suite in results]
    verdict = _verdict(results, complete, expected, payload["passed"], dbt_failed)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #bbb;padding:4px;text-align:left;font-size:90%}}.fail{{background:#f8d7da}}
.warn{{background:#fff3cd}}.pass{{background:#e8f5e9}}small{{color:#555;font-weight:normal}}
table.summary{{width:auto}}</style></head>
<body><h1>{html.escape(title)}</h1><p>Produced {produced}.</p><p><strong>{verdict}</strong></p>
{_summary_html(table)}<h2>Great Expectations suites</h2>{"".join(rows)}{_dbt_html(dbt_tests)}</body></html>
"""
    html_path = folder / "validation.html"
    html_path.write_text(page)
    return json_path, html_path
