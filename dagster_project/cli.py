"""`continuity`: the command line. Thin: it parses arguments, sets the paths, and runs the
same Dagster job the UI runs (in-process), then prints what happened."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from dagster_project.settings import DBT_TARGETS, Settings
from dagster_project.terminal import printable
from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR


class UserError(Exception):
    """A failure to report in one readable line."""


def _settings(args: argparse.Namespace) -> Settings:
    """The run's settings from the arguments; the engine and memory limit default to the
    CONTINUITY_* variables, as in the UI."""
    warehouse = Path(args.warehouse).resolve()
    output = Path(args.output).resolve() if args.output else warehouse.parent
    defaults = Settings.from_env()
    target = getattr(args, "dbt_target", None) or defaults.dbt_target
    return Settings(
        Path(args.landing).resolve(), warehouse, output, target, defaults.memory_limit, defaults.validation_keep
    )


# Operating-system causes that a failing step often reports only indirectly ("cannot rollback
# - no transaction is active", "65 of 134 ERROR creating sql"): the first found in the error,
# its causes or the dbt log it names is said first, in words.
CAUSES = (
    (("No space left on device", "ENOSPC", "Disk quota exceeded"), "disk full: no space left on the device"),
    (("Permission denied", "EACCES", "Operation not permitted"), "permission denied"),
    (("Read-only file system", "EROFS"), "the file system is read-only"),
    (("Out of Memory", "Cannot allocate memory", "MemoryError"), "out of memory"),
)


def named_cause(text: str) -> str | None:
    """The operating-system cause named anywhere in `text`, in words, or None."""
    for needles, cause in CAUSES:
        for needle in needles:
            at = text.find(needle)
            if at >= 0:
                start = text.rfind("\n", 0, at) + 1
                end = text.find("\n", at)
                line = text[start : end if end >= 0 else len(text)]
                return f"{cause} ({' '.join(line.split())[:200]})"
    return None


def _failure_reason(result) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            chain = [error]
            while chain[-1].cause is not None:
                chain.append(chain[-1].cause)
            shown = next((e for e in chain if "dbt" in e.message), chain[-1])
            message = " ".join(shown.message.split())
            texts = [e.message for e in chain]
            for log in re.findall(r"(/\S+/dbt\.log)", " ".join(texts)):
                with contextlib.suppress(OSError):
                    texts.append(Path(log).read_text(errors="replace")[-200_000:])
            cause = next((c for c in map(named_cause, texts) if c), None)
            if cause:
                return f"step {event.step_key} failed: {cause}. {message[:400]}"
            return f"step {event.step_key} failed: {message[:600]}"
    return "the run failed (see the Dagster event log)"


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


def run_pipeline(settings: Settings, verbose: bool = False, job_name: str = "full_refresh", quiet: bool = False):
    """Run a job in-process on these paths; return the Dagster result.

    dbt's and Dagster's own output always goes to <output>/logs/last-run.log (plain text);
    the terminal shows one line per stage, or also the full log with --verbose, or nothing
    with --quiet (dagster_project/progress.py). The job gets these settings as its resources,
    the same resources the UI configures."""
    import dagster as dg

    from dagster_project.dbt_project import ensure_manifest

    ensure_manifest()  # before the definitions read it
    from dagster_project.definitions import defs
    from dagster_project.progress import run_output
    from dagster_project.resources import resources_for

    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def(job_name)
    resources = resources_for(settings)
    mode = "verbose" if verbose else ("quiet" if quiet else "normal")
    with run_lock(settings.warehouse), run_output(settings.output / "logs", mode) as loggers:
        if not verbose:
            logging.getLogger("dagster").setLevel(logging.ERROR)
        return job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": loggers}, resources=resources
        )


@contextmanager
def run_lock(warehouse: Path):
    """One run per warehouse at a time: a second run refuses at once, saying who holds it.
    The lock is an advisory lock on <warehouse>.lock, released by the kernel if a run dies."""
    import fcntl

    warehouse.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UserError(f"another run is using {warehouse} ({holder}); wait for it to finish") from None
    # a killed run's children (dbt) die with it, but not in the same instant: wait until none
    # is left writing the warehouse (dagster_project/children.py)
    from dagster_project.children import wait_for_children

    if not wait_for_children(warehouse):
        handle.close()
        raise UserError(f"a process of an earlier run is still writing {warehouse}; try again in a minute")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    try:
        yield
    finally:
        handle.close()


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
    "select period_start, numerator, denominator, pending, value_pct, lower_ci95_pct, upper_ci95_pct "
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
        if m.asset_key.path[0] == "raw":
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
    counts = ", ".join(f"{t} {n:,}" + (f" ({w:,} would engage)" if w else "") for t, n, w in problems)
    return ["Recording problems (marts.recording_issues_summary; releases a fix would engage):", f"  {counts}"]


def _c20_lines(c20: list) -> list[str]:
    if not c20:
        return []
    lines = [f"PHOF 2.16 / C20, England, by financial year (engaged within {window_days()} days):"]
    for start, num, den, pending, value, lo, hi in c20:
        label = f"{start.year}-{str(start.year + 1)[2:]}"
        if value is None:
            lines.append(f"  {label}: no judged releases yet ({pending} pending)")
        else:
            lines.append(
                f"  {label}: {value:.1f}% ({lo:.1f}% to {hi:.1f}%), {num} of {den} releases"
                + (f", {pending} pending" if pending else "")
            )
    return lines


def _er_lines(er: list) -> list[str]:
    if not er:
        return []
    lines = ["Enhanced RECONNECT successful outcome by site (need met or engaged at 12 months):"]
    for site, model, achieved, n, pending, value, lo, hi in er:
        rate = f"{value:.1f}% ({lo:.1f}% to {hi:.1f}%), {achieved} of {n}" if n else "no one judged yet"
        lines.append(f"  {site} ({model}): {rate}" + (f", {pending} pending" if pending else ""))
    return lines


def window_days() -> int:
    """The engagement window of C20 (the dbt var `engagement_window_days`)."""
    from pipelines.disclosure import project_vars

    return int(project_vars()["engagement_window_days"])


def say(lines: list[str], stream=None) -> None:
    """Print lines built from data with every control character escaped (progress.printable):
    a file name or a bad value holding an escape sequence never reaches the terminal raw."""
    for line in lines:
        print(printable(line), file=stream or sys.stdout)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not settings.landing.is_dir():
        raise UserError(f"landing folder {settings.landing} does not exist")
    import duckdb

    from pipelines.pseudonymise import MissingKeyError, check_key_policy

    try:
        try:
            note = check_key_policy(settings.landing, settings.warehouse)
        except duckdb.IOException:  # the warehouse is busy: the run lock below says so
            note = check_key_policy(settings.landing)
    except MissingKeyError as e:
        raise UserError(str(e)) from None
    if note and not args.quiet:
        say([note])
    from pipelines.gates import accepting

    overrides = accept_gates(args)
    started, since = time.monotonic(), datetime.now()
    unchanged = None if args.accept else nothing_new_since(settings)
    if unchanged is not None:
        lines = [
            f"Nothing new: every landing file is already loaded, none was withdrawn and the models are "
            f"unchanged since the publication of {unchanged.published_at}, which stays current.",
            f"Published: {unchanged.folder}",
            f"Done in {time.monotonic() - started:.0f} s (nothing run).",
        ]
        say(lines[:1] if args.quiet else lines)
        return 0
    with accepting(overrides):
        result = run_pipeline(settings, verbose=args.verbose, quiet=args.quiet)
    published, checks = publication_outcome(result)
    blocked = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    if not result.success and not blocked:
        raise UserError(f"{_failure_reason(result)} (full log: {settings.output / 'logs' / 'last-run.log'})")
    lines = [] if args.quiet else summarise(result, settings, since)
    lines += describe_publication(settings, published, checks)
    lines.append(f"Done in {time.monotonic() - started:.0f} s.")
    say(lines[:1] if args.quiet else lines)
    return 0 if published else 1


def nothing_new_since(settings: Settings):
    """The current publication when this run would only repeat it (pipelines/state.py)."""
    from pipelines.state import current_key, nothing_new

    return nothing_new(settings.landing, settings.warehouse, settings.output, settings.dbt_target, current_key())


def accept_gates(args: argparse.Namespace) -> list[dict]:
    """`--accept GATE --reason TEXT` (repeatable, in pairs) -> the overrides the gate checks
    and the publication's notes.json read (pipelines/gates.py `accepting`, for this run only)."""
    import getpass

    from pipelines.gates import GATES

    gates, reasons = args.accept or [], args.reason or []
    if len(gates) != len(reasons) or any(not r.strip() for r in reasons):
        raise UserError("each --accept GATE needs its own --reason TEXT saying why it is accepted")
    overrides = []
    for gate, reason in zip(gates, reasons, strict=True):
        gate = gate.removeprefix("gate_")
        if gate not in GATES:
            raise UserError(f"--accept {gate}: no such gate; the gates are {', '.join(GATES)}")
        overrides.append(
            {"gate": gate, "reason": reason.strip(), "who": getpass.getuser(), "when": datetime.now().isoformat()}
        )
    return overrides


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
    where the publication, exports, reports, validation report, restricted tier and log are."""
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


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.dev.generate import GeneratorConfig, generate

    config = GeneratorConfig(seed=args.seed, scale=args.scale, years=args.years, faults=args.faults)
    manifest = generate(Path(args.out), config)
    say(
        [
            f"Wrote a synthetic landing folder to {args.out}: "
            + ", ".join(f"{name} {rows}" for name, rows in manifest["rows"].items())
        ]
    )
    return 0


def cmd_imd(args: argparse.Namespace) -> int:
    """Check File 7 whole, then load it into the warehouse's reference data (or write the
    CSV named by --out): never into the source tree, where seeds/imd.csv is a tracked sample."""
    import duckdb

    from pipelines.imd import File7Error, convert_file7, load_file7

    file7 = Path(args.file7).resolve()
    if not file7.is_file():
        raise UserError(f"{file7} does not exist")
    try:
        if args.out:
            n = convert_file7(file7, Path(args.out).resolve())
            say([f"Checked and wrote {n:,} LSOAs to {Path(args.out).resolve()}."])
            return 0
        warehouse = Path(args.warehouse).resolve()
        with run_lock(warehouse):
            con = duckdb.connect(str(warehouse))
            try:
                n = load_file7(con, file7)
            finally:
                con.close()
    except File7Error as e:
        raise UserError(str(e)) from None
    say(
        [
            f"Checked and loaded {n:,} LSOAs into {warehouse} (reference.imd_file7): the next run "
            "uses them in place of the sample seed (stg_reference__imd)."
        ]
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pipelines.reports import ForeignFolderError, build_reports

    published = Path(args.published).resolve()
    if not (published / "marts.duckdb").exists():
        raise UserError(f"{published} holds no publication (marts.duckdb): run the pipeline first")
    try:
        files = build_reports(published, Path(args.out).resolve())
    except ForeignFolderError as e:
        raise UserError(str(e)) from None
    say([f"{name}: {path}" for name, path in files.items()])
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Withdraw a loaded file (or, with --undo, end its withdrawal): pipelines/withdraw.py."""
    import getpass

    import duckdb

    from pipelines.withdraw import WithdrawError, undo, withdraw

    warehouse = Path(args.warehouse).resolve()
    if not warehouse.exists():
        raise UserError(f"warehouse {warehouse} does not exist")
    with run_lock(warehouse):
        con = duckdb.connect(str(warehouse))
        try:
            if args.undo:
                done = undo(con, args.file, args.reason, getpass.getuser())
            else:
                done = withdraw(con, args.file, args.reason, getpass.getuser())
        except WithdrawError as e:
            raise UserError(str(e)) from None
        finally:
            con.close()
    if args.undo:
        say(
            [
                f"Withdrawal of {done.source_file} ended: the next run loads it again from the landing folder "
                "(it must be there)."
            ]
        )
    else:
        say(
            [
                f"Withdrew {done.source_file} (sha256 {done.file_sha256[:12]}...): its {done.rows} row(s) no longer "
                "count from the next run, which also publishes without them. Recorded in raw.withdrawn_files; "
                f"undo with: continuity withdraw --undo {done.source_file} --reason TEXT"
            ]
        )
    return 0


def cmd_spark_check(args: argparse.Namespace) -> int:
    """`make test-spark`: DuckDB and Spark builds of one landing folder compared mart by mart
    (pipelines/dev/spark_check.py, a development tool imported only here)."""
    from pipelines.dev.spark_check import SparkCheckError, spark_check

    try:
        return spark_check(args.landing, Path(args.work).resolve())
    except SparkCheckError as e:
        raise UserError(str(e)) from None


EXIT_CODES = """exit codes:
  0  done (run: published)
  1  run: not published (a blocking check failed or a publication gate blocks; the
     previous publication is unchanged), or an error, said in one line on stderr
  2  the command line itself is wrong (an unknown option, a missing value)"""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default, unless the help already says it (an
    option whose default is computed, like --output) or the option has none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, argparse.SUPPRESS) or action.required:
            return text
        return super()._get_help_string(action)


def _output_flags() -> argparse.ArgumentParser:
    """--verbose and --quiet, accepted before or after the subcommand: the same flags on the
    main parser and on every subcommand, with defaults that never overwrite each other."""
    flags = argparse.ArgumentParser(add_help=False)
    group = flags.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="also show Dagster's and dbt's full log, and stack traces (default: off)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only the verdict line, for schedulers; the exit code says the rest (default: off)",
    )
    return flags


def _run_command(command) -> None:
    run = command("run", "load a landing folder, build every mart, check it and publish it if every check passes")
    run.add_argument(
        "--landing", default=str(PROJECT_DIR / "data" / "landing"), help="the folder of extract CSVs to load"
    )
    run.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE), help="the DuckDB warehouse file")
    run.add_argument(
        "--output", default=None, help="publication, exports, reports and logs (default: the warehouse's folder)"
    )
    run.add_argument(
        "--dbt-target",
        choices=DBT_TARGETS,
        default=None,
        help="the engine dbt builds on (default: $CONTINUITY_DBT_TARGET or duckdb; spark: docs/scale-out.md)",
    )
    run.add_argument(
        "--accept",
        action="append",
        metavar="GATE",
        help="publish although this publication gate fails (extracts_current, c20_change, c20_band); "
        "needs --reason; repeatable (default: none)",
    )
    run.add_argument(
        "--reason",
        action="append",
        metavar="TEXT",
        help="why the --accept before it is accepted, recorded in notes.json (default: none)",
    )
    run.set_defaults(func=cmd_run)


def _gen_command(command) -> None:
    gen = command("generate", "write a synthetic landing folder (the demo sample is --scale 0.12)")
    gen.add_argument("--out", required=True, help="the landing folder to write (required)")
    gen.add_argument("--seed", type=int, default=2016, help="random seed: the same seed writes the same files")
    gen.add_argument("--scale", type=float, default=1.0, help="releases per year as a fraction of England's")
    gen.add_argument("--years", type=int, default=5, help="financial years of releases (five give a recent trend)")
    gen.add_argument(
        "--faults", type=float, default=0.0, help="share of rows given a recording fault (pipelines/dev/faults.py)"
    )
    gen.set_defaults(func=cmd_generate)


def _report_command(command) -> None:
    report = command("report", "rebuild the slide pack and easy-read summary from a publication")
    report.add_argument(
        "--published", default=str(PROJECT_DIR / "warehouse" / "published"), help="the publication folder to read"
    )
    report.add_argument(
        "--out",
        default=str(PROJECT_DIR / "warehouse" / "rebuilt-reports"),
        help="a new or empty folder, or one this command wrote before (never a folder holding other files)",
    )
    report.set_defaults(func=cmd_report)


def _spark_command(command) -> None:
    spark = command("spark-check", "build on DuckDB and on Spark from one landing folder and compare every mart")
    spark.add_argument(
        "--landing", default=str(PROJECT_DIR / "data" / "landing"), help="the folder of extract CSVs to load"
    )
    spark.add_argument(
        "--work", default=str(PROJECT_DIR / "warehouse" / "spark-check"), help="where both builds and logs go"
    )
    spark.set_defaults(func=cmd_spark_check)


def _withdraw_command(command) -> None:
    withdraw = command("withdraw", "take back a loaded file: its rows stop counting from the next run")
    withdraw.add_argument("file", help="the landing file, or its name as in raw.loaded_files (extract/file.csv)")
    withdraw.add_argument("--reason", required=True, help="why, recorded with who and when (required)")
    withdraw.add_argument(
        "--undo", action="store_true", help="end the withdrawal: the next run loads the file again (default: off)"
    )
    withdraw.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE), help="the DuckDB warehouse file")
    withdraw.set_defaults(func=cmd_withdraw)


def _imd_command(command) -> None:
    imd = command("imd", "check the official IoD2019 File 7 CSV and make it the IMD the next run uses")
    imd.add_argument("--file7", required=True, help="the File 7 CSV as downloaded from GOV.UK (required)")
    imd.add_argument(
        "--warehouse",
        default=str(DEFAULT_WAREHOUSE),
        help="the warehouse whose reference data receives it (table reference.imd_file7)",
    )
    imd.add_argument(
        "--out",
        default=None,
        help="write lsoa_code,imd_decile to this CSV instead of loading the warehouse (default: none)",
    )
    imd.set_defaults(func=cmd_imd)


def build_parser() -> argparse.ArgumentParser:
    flags = _output_flags()
    parser = argparse.ArgumentParser(
        prog="continuity", description=__doc__, epilog=EXIT_CODES, formatter_class=HelpFormatter, parents=[flags]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=EXIT_CODES,
            formatter_class=HelpFormatter,
            parents=[flags],
        )

    _run_command(command)
    _gen_command(command)
    _report_command(command)
    _spark_command(command)
    _withdraw_command(command)
    _imd_command(command)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The arguments, with --verbose and --quiet read wherever they stand (before or after
    the subcommand) and never both."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    if args.verbose and args.quiet:  # one before the subcommand, the other after it
        parser.error("--verbose and --quiet cannot be used together")
    return args


def main(argv: list[str] | None = None) -> int:
    # files a run creates are the owner's alone unless the publication opens them on purpose
    # (the warehouse holds personal data: docs/disclosure.md)
    os.umask(0o077)
    args = parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        say([f"continuity: error: {e}"], sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - one readable line unless --verbose
        if args.verbose:
            raise
        text = f"{type(e).__name__}: {' '.join(str(e).split())[:600]}"
        cause = named_cause(text)
        say([f"continuity: error: {cause + '. ' if cause else ''}{text}"], sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
