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
import re
import shutil
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.contract import PROJECT_DIR, SEEDS_DIR

EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
EXAMPLES = 5
MAX_FRAME_ROWS = 100_000  # above this a batch is a copy of a table, not an aggregate: refused
DBT_TARGET_DIR = PROJECT_DIR / "target"
STATES = ("passed", "warned", "failed")
# Columns that identify a person or a record (indicators.md s.6), and every date column:
# their failing values never reach a report, a log or the terminal; the examples name the
# source file and line instead (`personal`).
IDENTIFYING_COLUMNS = frozenset(
    {"crn", "client_id", "client", "first_initial", "surname_initial", "date_of_birth", "attributor_key"}
    | {"person_key", "episode_id", "intervention_id", "assessment_id", "contact_id", "release_id", "record_id"}
    | {"related_record_id", "lsoa_code", "dob"}
)


def personal(column: str) -> bool:
    """A column whose values are never shown: identifying, a record id, or a date."""
    name = column.lower()
    return name in IDENTIFYING_COLUMNS or name.endswith(("_date", "_dt", "date")) or name.endswith("_id")


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


def prune_reports(validation_dir: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Delete all but the newest `keep` run folders under <output>/validation (never
    `latest`, never the current run's); return what was deleted. keep: the setting
    CONTINUITY_VALIDATION_KEEP (pipelines/settings.py). dbt's own target/ run folders are
    pruned elsewhere."""
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


def _great_expectations():
    """great_expectations, imported without pyspark. Where pyspark is installed (the Spark
    extra, and so CI), GX's import loads pyspark's SQL and ML modules for its Spark
    datasources, which this project never uses (it validates pandas frames): about 0.6 s of
    the 3-4 s import, in every run's checks. A process that has already imported pyspark
    keeps it, and pyspark can be imported afterwards as usual."""
    if "great_expectations" in sys.modules or "pyspark" in sys.modules:
        import great_expectations

        return great_expectations
    sys.modules["pyspark"] = None  # an import of pyspark, or of any pyspark.*, fails at once
    try:
        import great_expectations
    finally:
        if "pyspark" in sys.modules and sys.modules["pyspark"] is None:
            del sys.modules["pyspark"]
    return great_expectations


def _context():
    """An ephemeral GX context on pandas, analytics off in the context itself (GX also
    honours GX_ANALYTICS_ENABLED=false)."""
    gx = _great_expectations()
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
    gx = _great_expectations()

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
    if any(personal(c) for c in columns):
        return count, ["masked (identifying column)"] * len(rows)
    return count, [_plain(row[0]) if len(row) == 1 else _plain(list(row)) for row in rows]


def masked_examples(frame, kwargs: dict, examples: list) -> list:
    """Failing values as examples, except for identifying columns: there each example is the
    source file and line of a row holding it (or just "masked" when the batch has no lineage)."""
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    if not any(personal(c) for c in columns):
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


WHY_BY_TYPE = {  # the reason an expectation of a kind guards, when its suite gives none
    "expect_column_values_to_be_in_set": "A code outside its list is wrong or unmapped: its rows would fall out of "
    "the counts.",
    "expect_column_values_to_be_between": "A value outside its range is impossible: a computation or a record "
    "went wrong.",
    "expect_column_pair_values_a_to_be_greater_than_b": "The two columns keep their order (a part never exceeds "
    "its whole; an interval holds its value).",
}
DBT_WHY = {  # the reason a dbt data test guards, by the kind of test (its name's start)
    "not_null": "A missing value in a column every row needs: the row could not be counted or joined.",
    "unique": "A key seen twice would count a release, person or area twice.",
    "accepted_values": "A code outside the agreed list would fall out of every count that selects by it.",
    "relationships": "A code with no row in its reference table has no name or parent area.",
    "unique_combination": "A key seen twice would count a release, person or area twice.",
    "assert": "A project rule, hand-computed or cross-checked (tests/singular/): a failure means a rule was broken.",
}
CSS = """body{font-family:Arial,"DejaVu Sans",sans-serif;margin:0 auto;padding:16px 24px;max-width:1200px;color:#231F20}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin-bottom:1em}
td,th{border:1px solid #bbb;padding:4px 6px;text-align:left;vertical-align:top;font-size:14px;
overflow-wrap:anywhere;word-break:break-word}
caption{text-align:left;font-weight:bold;padding:4px 0}
.fail{background:#f8d7da}.warn{background:#fff3cd}.pass{background:#e8f5e9}small{color:#425563;font-weight:normal}
table.summary,table.narrow{width:auto;table-layout:auto}.verdict{font-size:18px}"""


def why_of_dbt_test(name: str) -> str:
    """Why a dbt data test matters, from the kind its name starts with."""
    return next((why for kind, why in DBT_WHY.items() if name.startswith(kind)), "A rule of the dbt project.")


def _examples(examples: list) -> str:
    """Examples as text a person reads: each on its own, '; ' between; none says so."""
    return "; ".join(str(e) for e in examples) if examples else ""


def load_summary(con) -> dict:
    """What was loaded and what was set aside, per extract, from the warehouse's load records
    (raw.loaded_files, raw.quarantine, raw.rejected_files): for the validation report."""
    rows = con.execute(
        "select extract, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined), max(extract_date) "
        "from raw.loaded_files group by extract order by extract"
    ).fetchall()
    rejected = dict(con.execute("select extract, count(*) from raw.rejected_files group by extract").fetchall())
    reasons = con.execute(
        "select extract, reason, count(*) as n from raw.quarantine group by extract, reason "
        "order by n desc, extract, reason limit 10"
    ).fetchall()
    return {
        "extracts": [
            {
                "extract": e,
                "files": f,
                "rows_read": r or 0,
                "rows_loaded": lo or 0,
                "rows_quarantined": q or 0,
                "files_rejected": rejected.get(e, 0),
                "latest_extract_date": str(d),
            }
            for e, f, r, lo, q, d in rows
        ],  # fmt: skip
        "quarantine_reasons": [{"extract": e, "reason": r, "rows": n} for e, r, n in reasons],
    }


def _load_html(loads: dict | None) -> str:
    if loads is None:
        return "<h2>Loads and quarantine</h2><p>No load records were read for this report.</p>"
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(x['extract'])}</th><td>{x['files']:,}</td><td>{x['rows_read']:,}</td>"
        f"<td>{x['rows_loaded']:,}</td><td>{x['rows_quarantined']:,}</td><td>{x['files_rejected']:,}</td>"
        f"<td>{html.escape(x['latest_extract_date'])}</td></tr>"
        for x in loads["extracts"]
    )
    out = (
        "<h2>Loads and quarantine</h2><table><caption>Every extract file loaded into the warehouse, and the rows and "
        "files set aside (a quarantined row breaks the extract contract; docs/contract.md)</caption><thead><tr>"
        "<th scope='col'>extract</th><th scope='col'>files loaded</th><th scope='col'>rows read</th>"
        "<th scope='col'>rows loaded</th><th scope='col'>rows quarantined</th><th scope='col'>files rejected</th>"
        f"<th scope='col'>latest extract date</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if loads["quarantine_reasons"]:
        reasons = "".join(
            f"<tr><td>{html.escape(r['extract'])}</td><td>{html.escape(r['reason'])}</td><td>{r['rows']:,}</td></tr>"
            for r in loads["quarantine_reasons"]
        )
        out += (
            "<table><caption>The commonest reasons rows were quarantined</caption><thead><tr><th scope='col'>extract"
            "</th><th scope='col'>reason</th><th scope='col'>rows</th></tr></thead><tbody>"
            + reasons
            + "</tbody></table>"
        )
    return out


def _gates_html(gates: list[dict] | None) -> str:
    if not gates:
        return "<h2>Publication gates</h2><p>No gate results were recorded for this run.</p>"
    rows = []
    for g in gates:
        state = "pass" if g["passed"] else ("warn" if g.get("accepted") else "fail")
        result = "pass" if g["passed"] else ("accepted" if g.get("accepted") else "FAIL")
        rows.append(
            f"<tr class='{state}'><th scope='row'>{html.escape(g['gate'])}</th><td>{result}</td>"
            f"<td>{html.escape(g.get('summary', ''))}</td><td>{html.escape(g.get('why', ''))}</td></tr>"
        )
    return (
        "<h2>Publication gates</h2><table><caption>Blocking checks on the national C20 before anything is published "
        "(an analyst may accept a failing gate by name, with a reason)</caption><colgroup><col style='width:14%'>"
        "<col style='width:8%'><col style='width:48%'><col style='width:30%'></colgroup><thead><tr>"
        "<th scope='col'>gate</th><th scope='col'>result</th><th scope='col'>what was found</th>"
        "<th scope='col'>why it matters</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _summary_html(table: dict[str, dict[str, int]]) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(kind)}</th>"
        + "".join(f"<td>{counts.get(state, 0)}</td>" for state in STATES)
        + "</tr>"
        for kind, counts in table.items()
    )
    return (
        "<table class='summary'><caption>Checks of this run</caption><thead><tr><td></td><th scope='col'>passed</th>"
        "<th scope='col'>warned</th><th scope='col'>failed</th></tr></thead><tbody>" + rows + "</tbody></table>"
    )


def _dbt_html(dbt_tests: list[DbtTestResult] | None) -> str:
    if dbt_tests is None:
        return "<h2>dbt tests</h2><p>No dbt test results for this run (dbt did not run, or its results are gone).</p>"
    rows = [
        "<h2>dbt tests</h2>",
        "<table><caption>dbt's data tests of this run's build (run_results.json)</caption><colgroup>"
        "<col style='width:36%'><col style='width:7%'><col style='width:8%'><col style='width:22%'>"
        "<col style='width:27%'></colgroup><thead><tr><th scope='col'>test</th><th scope='col'>result</th>"
        "<th scope='col'>failing rows</th><th scope='col'>message</th><th scope='col'>why it matters</th></tr></thead>"
        "<tbody>",
    ]
    for t in dbt_tests:
        cls = {"passed": "pass", "warned": "warn", "failed": "fail"}.get(t.state, "")
        failures = "" if t.failures is None else t.failures
        rows.append(
            f"<tr class='{cls}'><td>{html.escape(t.name)}</td><td>{html.escape(t.status)}</td>"
            f"<td>{failures}</td><td>{html.escape(t.message if t.state != 'passed' else '')}</td>"
            f"<td>{html.escape(why_of_dbt_test(t.name))}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _suite_html(suite: SuiteResult) -> str:
    """One suite's section of the HTML report: a table of its expectations."""
    state = "passed" if suite.passed else "FAILED"
    rows = [f"<h3>{html.escape(suite.name)} <small>guards {html.escape(suite.asset)} - {state}</small></h3>"]
    if suite.error:
        rows.append(f"<p class='fail'>Could not run: {html.escape(suite.error)}</p>")
    rows.append(
        f"<table><caption>Expectations of the suite {html.escape(suite.name)}</caption><colgroup>"
        "<col style='width:24%'><col style='width:13%'><col style='width:7%'><col style='width:5%'>"
        "<col style='width:8%'><col style='width:18%'><col style='width:25%'></colgroup><thead><tr>"
        "<th scope='col'>expectation</th><th scope='col'>column</th><th scope='col'>kind</th>"
        "<th scope='col'>result</th>"
        "<th scope='col'>unexpected</th><th scope='col'>examples</th><th scope='col'>why it matters</th></tr></thead>"
        "<tbody>"
    )
    for r in suite.results:
        cls = "pass" if r.success else ("fail" if r.blocking else "warn")
        rows.append(
            f"<tr class='{cls}'><td>{html.escape(r.type)}</td><td>{html.escape(r.column)}</td>"
            f"<td>{'blocking' if r.blocking else 'warning'}</td><td>{'pass' if r.success else 'FAIL'}</td>"
            f"<td>{'' if r.unexpected_count is None else r.unexpected_count}</td>"
            f"<td>{html.escape(_examples(r.examples))}</td>"
            f"<td>{html.escape(r.why or WHY_BY_TYPE.get(r.type, 'A rule of the suite.'))}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _verdict(results: list[SuiteResult], complete: bool, expected: int | None, passed: bool, dbt_failed: int,
             gates_failed: int = 0) -> str:  # fmt: skip
    if not complete:
        return f"Incomplete: {len(results)} of {expected} suites ran. Nothing is published from an incomplete run."
    if passed:
        return "Every blocking expectation, publication gate and dbt test passed."
    if gates_failed and all(r.passed for r in results) and not dbt_failed:
        return f"{gates_failed} publication gate(s) failed: nothing was published."
    if dbt_failed and all(r.passed for r in results):
        return f"{dbt_failed} dbt test(s) failed: nothing was published."
    return "A blocking expectation failed: nothing was published."


def _page(title: str, produced: str, verdict: str, table: dict, gates: list[dict], loads: dict | None,
          results: list[SuiteResult], dbt_tests: list[DbtTestResult] | None) -> str:  # fmt: skip
    """The report as one HTML page (no CDN, no script)."""
    rows = "".join(_suite_html(suite) for suite in results)
    return f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>{CSS}</style></head>
<body><main><h1>{html.escape(title)}</h1><p>Produced {produced}.</p>
<p class="verdict"><strong>{verdict}</strong></p>
{_summary_html(table)}{_gates_html(gates)}{_load_html(loads)}<h2>Great Expectations suites</h2>{rows}
{_dbt_html(dbt_tests)}</main></body></html>
"""


def write_report(
    results: list[SuiteResult],
    folder: Path,
    title: str,
    expected: int | None = None,
    dbt_tests: list[DbtTestResult] | None = None,
    gates: list[dict] | None = None,
    loads: dict | None = None,
) -> tuple[Path, Path]:
    """The validation report of a run: JSON for machines, HTML (no CDN, no script) for people,
    titled with its date and verdict. A summary table (suites, expectations, gates and dbt
    tests passed, warned, failed), the publication gates, what was loaded and quarantined,
    each suite's expectations and the dbt tests, every check with why it matters; laid out to
    fit a 1280-pixel screen. With `expected` suites, a report holding fewer is incomplete and
    never says passed (a run killed half way through validation must not look like a pass);
    a failed dbt test or an unaccepted failing gate fails the report too."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    complete = expected is None or len(results) >= expected
    now = datetime.now(UTC)
    produced = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    table = summary_table(results, dbt_tests)
    gates = gates or []
    gates_failed = sum(not g["passed"] and not g.get("accepted") for g in gates)
    if gates:
        table["publication gates"] = {
            "passed": sum(g["passed"] for g in gates),
            "warned": sum(not g["passed"] and bool(g.get("accepted")) for g in gates),
            "failed": gates_failed,
        }
    dbt_failed = table["dbt tests"]["failed"]
    passed = complete and all(r.passed for r in results) and not dbt_failed and not gates_failed
    short = "incomplete" if not complete else "passed" if passed else "failed"
    full_title = f"{title}, {now.day} {now:%B %Y}: {short}"
    payload = {
        "title": full_title,
        "produced": produced,
        "complete": complete,
        "suites_run": len(results),
        "suites_expected": expected,
        "passed": passed,
        "summary": table,
        "gates": gates,
        "loads": loads,
        "suites": [{**asdict(r), "passed": r.passed} for r in results],
        "dbt_tests": None if dbt_tests is None else [{**asdict(t), "state": t.state} for t in dbt_tests],
    }
    json_path = folder / "validation.json"
    json_path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    verdict = _verdict(results, complete, expected, passed, dbt_failed, gates_failed)
    page = _page(full_title, produced, verdict, table, gates, loads, results, dbt_tests)
    html_path = folder / "validation.html"
    html_path.write_text(page)
    return json_path, html_path
