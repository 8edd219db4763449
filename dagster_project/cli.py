"""`continuity`: the command line. Thin: it parses arguments, sets the paths, and runs the
same Dagster job the UI runs (in-process), then prints what happened."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path

from dagster_project.settings import DBT_TARGETS, Settings
from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR


class UserError(Exception):
    """A failure to report in one readable line."""


def _settings(args: argparse.Namespace) -> Settings:
    warehouse = Path(args.warehouse).resolve()
    output = Path(args.output).resolve() if args.output else warehouse.parent
    target = getattr(args, "dbt_target", None) or Settings.from_env().dbt_target
    return Settings(Path(args.landing).resolve(), warehouse, output, target)


def _failure_reason(result) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            while error.cause is not None and "dbt" not in error.message:
                error = error.cause
            message = " ".join(error.message.split())
            return f"step {event.step_key} failed: {message[:600]}"
    return "the run failed (see the Dagster event log)"


def run_pipeline(settings: Settings, verbose: bool = False, job_name: str = "full_refresh"):
    """Run a job in-process on these paths; return the Dagster result.

    Without --verbose, dbt's and Dagster's own output goes to <output>/logs/last-run.log and
    the terminal shows one progress line per step."""
    settings.export()
    import dagster as dg

    from dagster_project.definitions import defs

    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def(job_name)
    with run_lock(settings.warehouse):
        if verbose:
            return job.execute_in_process(instance=instance, raise_on_error=False)
        log_dir = settings.output / "logs"
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_config = {"loggers": {"progress": {}}}
        with open(log_dir / "last-run.log", "w") as log, redirect_stdout(log), redirect_stderr(log):
            logging.getLogger("dagster").setLevel(logging.ERROR)
            return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)


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
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    try:
        yield
    finally:
        handle.close()


def summarise(result, settings: Settings, since: datetime) -> list[str]:
    """The short run summary: rows per extract, this run's rejections and quarantined lines,
    the recording problems and the headline figures."""
    import duckdb

    lines = ["Ingestion:"]
    for mat in result.get_asset_materialization_events():
        m = mat.materialization
        if m.asset_key.path[0] == "raw":
            lines.append(f"  {m.metadata['summary'].value}")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rejected = con.execute(
            "select source_file, reason from raw.rejected_files where rejected_at >= ? order by source_file",
            [since],
        ).fetchall()
        quarantined = con.execute(
            "select source_file, line_number, reason from raw.quarantine where quarantined_at >= ? "
            "order by source_file, line_number limit 10",
            [since],
        ).fetchall()
        total_q = con.execute("select count(*) from raw.quarantine where quarantined_at >= ?", [since]).fetchall()[0][0]
        for source_file, reason in rejected:
            lines.append(f"  rejected file {source_file}: {reason}")
        if total_q:
            lines.append(f"  {total_q} quarantined line(s) in raw.quarantine, e.g.:")
            lines += [f"    {f} line {n}: {r}" for f, n, r in quarantined]
        c20 = con.execute(
            "select period_start, numerator, denominator, pending, value_pct, "
            "lower_ci95_pct, upper_ci95_pct from marts.phof_c20 "
            "where geography_type = 'england' and period_type = 'financial_year' order by period_start"
        ).fetchall()
        problems = con.execute(
            "select issue_type, count(*), count(distinct case when fix_would_engage then release_id end) "
            "from marts.recording_issues group by issue_type order by issue_type"
        ).fetchall()
        er = con.execute(
            "select site, delivery_model, achieved, n, pending, value_pct, lower_ci95_pct, upper_ci95_pct "
            "from marts.er_outcomes_summary where outcome = 'successful_outcome' and priority_group = 'all' "
            "order by site"
        ).fetchall()
    finally:
        con.close()
    if problems:
        lines.append("Recording problems (marts.recording_issues; releases a fix would engage):")
        lines += [f"  {t}: {n}" + (f" ({w} would engage)" if w else "") for t, n, w in problems]
    if c20:
        lines.append("PHOF 2.16 / C20, England, by financial year (engaged within 21 days):")
        for start, num, den, pending, value, lo, hi in c20:
            label = f"{start.year}-{str(start.year + 1)[2:]}"
            if value is None:
                lines.append(f"  {label}: no judged releases yet ({pending} pending)")
            else:
                lines.append(
                    f"  {label}: {value:.1f}% ({lo:.1f}% to {hi:.1f}%), {num} of {den} releases"
                    + (f", {pending} pending" if pending else "")
                )
    if er:
        lines.append("Enhanced RECONNECT successful outcome by site (need met or engaged at 12 months):")
        for site, model, achieved, n, pending, value, lo, hi in er:
            rate = f"{value:.1f}% ({lo:.1f}% to {hi:.1f}%), {achieved} of {n}" if n else "no one judged yet"
            lines.append(f"  {site} ({model}): {rate}" + (f", {pending} pending" if pending else ""))
    lines.append(f"Warehouse: {settings.warehouse} (marts.phof_c20, marts.continuity_releases, ...)")
    return lines


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
    if note:
        print(note)
    started, since = time.monotonic(), datetime.now()
    result = run_pipeline(settings, verbose=args.verbose)
    published, checks = publication_outcome(result)
    blocked = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    if not result.success and not blocked:
        raise UserError(_failure_reason(result))
    for line in summarise(result, settings, since):
        print(line)
    for line in describe_publication(settings, published, checks):
        print(line)
    print(f"Done in {time.monotonic() - started:.0f} s.")
    return 0 if published else 1


def publication_outcome(result) -> tuple[bool, list]:
    """Whether this run published, and every asset check evaluation of the run."""
    published = any(
        m.materialization.asset_key.to_user_string() == "publication" for m in result.get_asset_materialization_events()
    )
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    return published, checks


def describe_publication(settings: Settings, published: bool, checks: list) -> list[str]:
    """What was published, or why not (failing blocking checks, with examples)."""
    report = settings.output / "validation" / "latest" / "validation.html"
    lines = []
    warnings = [c for c in checks if not c.passed and c.severity.value != "ERROR"]
    blocked = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    for c in warnings:
        lines.append(
            f"Validation warning {c.check_name} on {c.asset_key.to_user_string()}: {c.metadata['summary'].value}"
        )
    if published:
        lines.append(
            f"Published: {settings.output / 'published'} (marts.duckdb, parquet/, validation.html); "
            f"{len(checks)} checks run (dbt tests and Great Expectations suites), report {report}"
        )
        lines.append(
            f"Exports (disclosure controlled): {settings.output / 'exports' / 'prp'} (CSV, "
            f"inequality_breakdowns.xlsx) and {settings.output / 'exports' / 'phof'} (CSV)"
        )
        lines.append(f"Restricted (record level, owner only, not for release): {settings.output / 'restricted'}")
        lines.append(f"Slide pack: {settings.output / 'reports' / 'continuity_slides.pptx'} (and .html)")
        lines.append(f"Easy-read summary: {settings.output / 'reports' / 'easy_read.html'} (and .pdf)")
        lines.append(
            f"Local-area profiles: {settings.output / 'reports' / 'local_area_profiles.html'} "
            "(one page per area, and local_area_profiles.pdf)"
        )
    else:
        lines.append("Not published: the previous publication is unchanged.")
        for c in blocked:
            lines.append(
                f"  blocking check {c.check_name} on {c.asset_key.to_user_string()} failed: "
                f"{c.metadata['summary'].value}"
            )
        lines.append(f"  Validation report: {report}")
    return lines


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generate import GeneratorConfig, generate

    config = GeneratorConfig(seed=args.seed, scale=args.scale, years=args.years, faults=args.faults)
    manifest = generate(Path(args.out), config)
    print(
        f"Wrote a synthetic landing folder to {args.out}: "
        + ", ".join(f"{name} {rows}" for name, rows in manifest["rows"].items())
    )
    return 0


def cmd_imd(args: argparse.Namespace) -> int:
    from pipelines.imd import convert_file7

    n = convert_file7(Path(args.file7))
    print(f"Wrote {n} LSOAs to seeds/imd.csv; the next run loads them.")
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
    for name, path in files.items():
        print(f"{name}: {path}")
    return 0


def cmd_spark_check(args: argparse.Namespace) -> int:
    """`make test-spark`: the full_refresh job with dbt on DuckDB and, at the same time, the
    same job with dbt on Spark (every seed, model and data test); then every dbt unit test on
    Spark; then every mart of the two builds compared row by row."""
    import subprocess

    from dagster_project.dbt_project import ensure_manifest
    from pipelines import spark
    from pipelines.pseudonymise import check_key_policy

    work = Path(args.work).resolve()
    ensure_manifest()  # once, before two processes would both parse into target/
    # Two runs at once: the Spark run mostly waits on Spark's per-statement overhead, so the
    # DuckDB run fits beside it on two cores. Each run's output goes to <work>/<target>.log.
    warehouses = {target: work / target / "continuity.duckdb" for target in DBT_TARGETS}
    runs, started = {}, time.monotonic()
    for target, warehouse in warehouses.items():
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        log = open(work / f"{target}.log", "w")  # noqa: SIM115 - closed below
        command = [sys.executable, "-m", "dagster_project.cli", "run", "--landing", args.landing]
        command += ["--warehouse", str(warehouse), "--dbt-target", target]
        print(f"The full_refresh job with dbt on {target}: log {log.name}", flush=True)
        runs[target] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), log)
    failed_runs = []
    for target, (process, log) in runs.items():
        code = process.wait()
        log.close()
        print(f"  {target}: {'published' if code == 0 else 'FAILED'} after {time.monotonic() - started:.0f} s")
        if code != 0:
            failed_runs.append(target)
    if failed_runs:
        tails = {t: (work / f"{t}.log").read_text().splitlines()[-5:] for t in failed_runs}
        raise UserError(f"the run on {', '.join(failed_runs)} did not publish: {tails}")
    print("Every dbt unit test on Spark:", flush=True)
    check_key_policy(args.landing)  # the development key only on the synthetic sample
    spark_dir = spark.session_dir(warehouses["spark"])  # where that run's session and Parquet are
    unit_tests = spark.spark_unit_tests(spark_dir, spark_dir / "raw_parquet")
    print("Every mart, DuckDB build against Spark build:", flush=True)
    failed = spark.report_comparison(spark.compare_warehouses(warehouses["duckdb"], warehouses["spark"]))
    print(f"make test-spark: {time.monotonic() - started:.0f} s in all")
    if unit_tests:
        print("dbt unit tests failed on Spark.")
    return 1 if failed or unit_tests else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="continuity", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show Dagster logs and stack traces")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load a landing folder and build every mart")
    run.add_argument("--landing", default=str(PROJECT_DIR / "data" / "landing"))
    run.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE))
    run.add_argument(
        "--output", default=None, help="publication, exports and reports (default: the warehouse's folder)"
    )
    run.add_argument(
        "--dbt-target",
        choices=DBT_TARGETS,
        default=None,
        help="the engine dbt builds on (default $CONTINUITY_DBT_TARGET or duckdb; spark: docs/scale-out.md)",
    )
    run.set_defaults(func=cmd_run)

    gen = sub.add_parser("generate", help="write a synthetic landing folder")
    gen.add_argument("--out", required=True)
    gen.add_argument("--seed", type=int, default=2016)
    gen.add_argument("--scale", type=float, default=1.0)
    gen.add_argument("--years", type=int, default=5)  # GeneratorConfig.years: five, for a recent trend
    gen.add_argument("--faults", type=float, default=0.0)
    gen.set_defaults(func=cmd_generate)

    report = sub.add_parser("report", help="rebuild the slide pack and easy-read summary from a publication")
    report.add_argument("--published", default=str(PROJECT_DIR / "warehouse" / "published"))
    report.add_argument(
        "--out",
        default=str(PROJECT_DIR / "warehouse" / "rebuilt-reports"),
        help="a new or empty folder, or one this command wrote before (never a folder holding other files)",
    )
    report.set_defaults(func=cmd_report)

    spark = sub.add_parser(
        "spark-check", help="build on DuckDB and on Spark from one landing folder and compare every mart"
    )
    spark.add_argument("--landing", default=str(PROJECT_DIR / "data" / "landing"))
    spark.add_argument("--work", default=str(PROJECT_DIR / "warehouse" / "spark-check"))
    spark.set_defaults(func=cmd_spark_check)

    imd = sub.add_parser("imd", help="replace the IMD sample seed with the official IoD2019 File 7 CSV")
    imd.add_argument("--file7", required=True)
    imd.set_defaults(func=cmd_imd)
    return parser


def main(argv: list[str] | None = None) -> int:
    # files a run creates are the owner's alone unless the publication opens them on purpose
    # (the warehouse holds personal data: docs/disclosure.md)
    os.umask(0o077)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    try:
        return args.func(args)
    except UserError as e:
        print(f"continuity: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - one readable line unless --verbose
        if args.verbose:
            raise
        print(f"continuity: error: {type(e).__name__}: {' '.join(str(e).split())[:600]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
