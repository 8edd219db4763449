"""The commands of `continuity`: each parses nothing (cli.py does), does one thing, and
says what it did in a few lines. `run` runs the same Dagster job the UI runs, in-process,
with these settings and choices as its resources."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from dagster_project.summary import describe_publication, publication_outcome, say, summarise
from pipelines.settings import Settings


class UserError(Exception):
    """A failure to report in one readable line."""


@contextmanager
def locked(warehouse: Path) -> Iterator[None]:
    """The warehouse's run lock (pipelines/lock.py), refused in one line when another run holds it."""
    from pipelines.lock import WarehouseBusy, run_lock

    try:
        lock = run_lock(warehouse, "continuity command")
        lock.__enter__()
    except WarehouseBusy as e:
        raise UserError(str(e)) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def run_settings(args: argparse.Namespace) -> Settings:
    """The run's settings: the deployment's (CONTINUITY_* variables), with the arguments given
    over them, as a launchpad's fields are."""
    return Settings.from_env(
        landing=args.landing, warehouse=args.warehouse, output=args.output, dbt_target=args.dbt_target
    )


def run_choices(args: argparse.Namespace):
    """`--accept GATE --reason TEXT` pairs (checked by cli.parse_args) and `--full-refresh` as
    the run's `run_choices` resource: gate checks and notes.json read them, for this run only."""
    import getpass

    from dagster_project.resources import AcceptedGate, RunChoices

    now = datetime.now().isoformat(timespec="seconds")
    accepted = [
        AcceptedGate(gate=gate.removeprefix("gate_"), reason=reason.strip(), who=getpass.getuser(), when=now)
        for gate, reason in zip(args.accept or [], args.reason or [], strict=True)
    ]
    return RunChoices(accept=accepted, full_refresh=args.full_refresh)


def run_pipeline(
    settings: Settings, verbose: bool = False, job_name: str = "full_refresh", quiet: bool = False, choices=None
):
    """Run a job in-process on these paths; return the Dagster result.

    dbt's and Dagster's own output always goes to <output>/logs/last-run.log (plain text);
    the terminal shows one line per stage, and also the full log with --verbose, or nothing
    with --quiet (dagster_project/progress.py). The job gets these settings and choices as
    its resources, the same resources the UI configures."""
    import dagster as dg

    from pipelines.dbt_runner import ensure_manifest

    ensure_manifest()  # before the definitions read it
    from dagster_project.definitions import defs
    from dagster_project.progress import run_output
    from dagster_project.resources import resources_for

    instance = dg.DagsterInstance.get() if settings.dagster_home else dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def(job_name)
    resources = resources_for(settings, choices)
    mode = "verbose" if verbose else ("quiet" if quiet else "normal")
    with locked(settings.warehouse), run_output(settings.output / "logs", mode) as loggers:
        if not verbose:
            logging.getLogger("dagster").setLevel(logging.ERROR)
        return job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": loggers}, resources=resources
        )


def cmd_run(args: argparse.Namespace) -> int:
    settings = run_settings(args)
    if not settings.landing.is_dir():
        raise UserError(f"landing folder {settings.landing} does not exist")
    from pipelines.pseudonymise import KeyRefused, check_key_policy

    started, since = time.monotonic(), datetime.now()
    # the lock first: a second run is refused at once, before it reads anything
    with locked(settings.warehouse):
        try:
            check_key_policy(settings)
        except KeyRefused as e:
            raise UserError(str(e)) from None
        # asked before Dagster is imported (seconds): a run with nothing new ends without it
        unchanged = None if (args.accept or args.full_refresh) else nothing_new_since(settings)
        if unchanged is not None:
            return _nothing_new(settings, unchanged, started, args.quiet)
        result = run_pipeline(settings, verbose=args.verbose, quiet=args.quiet, choices=run_choices(args))
    published, checks = publication_outcome(result)
    blocked = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    if not result.success and not blocked:
        from dagster_project.diagnosis import failure_reason

        raise UserError(f"{failure_reason(result.all_events)} (full log: {settings.output / 'logs' / 'last-run.log'})")
    lines = [] if args.quiet else summarise(result, settings, since)
    lines += describe_publication(settings, published, checks)
    lines.append(f"Done in {time.monotonic() - started:.0f} s.")
    say(lines[:1] if args.quiet else lines)
    return 0 if published else 1


def _nothing_new(settings: Settings, unchanged, started: float, quiet: bool) -> int:
    """Say that the publication stays current, on screen and in this run's log."""
    from dagster_project.terminal import LOG_NAME, plain

    lines = [
        f"Nothing new: every landing file is already loaded, none was withdrawn and the models are "
        f"unchanged since the publication of {unchanged.published_at}, which stays current.",
        f"Published: {unchanged.folder}",
        f"Done in {time.monotonic() - started:.0f} s (nothing run).",
    ]
    logs = settings.output / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now().isoformat(sep=" ", timespec="seconds")
    (logs / LOG_NAME).write_text(
        f"{stamp} continuity run: nothing new, nothing run\n" + "".join(plain(x) + "\n" for x in lines)
    )
    say(lines[:1] if quiet else lines)
    return 0


def nothing_new_since(settings: Settings):
    """The current publication when this run would only repeat it (pipelines/state.py)."""
    from pipelines.state import current_key, nothing_new

    return nothing_new(
        settings.landing, settings.warehouse, settings.output, settings.dbt_target, current_key(settings)
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.dev.generate import GeneratorConfig, generate

    config = GeneratorConfig(seed=args.seed, scale=args.scale, years=args.years, faults=args.faults)
    manifest = generate(Path(args.out), config)
    say(
        [
            f"Wrote a synthetic landing folder to {args.out}: "
            + ", ".join(f"{name} {rows:,}" for name, rows in manifest["rows"].items())
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
        warehouse = Settings.from_env(warehouse=args.warehouse).warehouse
        with locked(warehouse):
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

    settings = Settings.from_env(warehouse=args.warehouse)
    warehouse = settings.warehouse
    if not warehouse.exists():
        raise UserError(f"warehouse {warehouse} does not exist")
    with locked(warehouse):
        con = duckdb.connect(str(warehouse))
        try:
            if args.undo:
                done = undo(con, args.file, args.reason, getpass.getuser())
            else:
                done = withdraw(con, args.file, args.reason, getpass.getuser(), settings.raw_lake)
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
    from pipelines.dev.spark_cluster import ClusterError, cluster_check

    landing = str(Settings.from_env(landing=args.landing).landing)
    try:
        if getattr(args, "cluster", False):  # `make test-spark-cluster`
            return cluster_check(landing, Path(args.work).resolve())
        return spark_check(landing, Path(args.work).resolve())
    except ClusterError as e:
        raise UserError(str(e)) from None
    except SparkCheckError as e:
        raise UserError(str(e)) from None
