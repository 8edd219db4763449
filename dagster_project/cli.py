"""`continuity`: the command line. Thin: it parses arguments (a wrong command line exits 2)
and hands them to a command (dagster_project/commands.py); `run` runs the same Dagster job
the UI runs, in-process, then prints what happened (dagster_project/summary.py)."""

from __future__ import annotations

import argparse
import os
import sys

from dagster_project.commands import (
    UserError,
    cmd_generate,
    cmd_imd,
    cmd_report,
    cmd_run,
    cmd_spark_check,
    cmd_withdraw,
)
from dagster_project.diagnosis import named_cause
from dagster_project.summary import say
from pipelines.contract import PROJECT_DIR
from pipelines.gates import GATES
from pipelines.settings import DBT_TARGETS

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
        "--landing",
        default=None,
        help="the folder of extract CSVs to load (default: $CONTINUITY_LANDING or data/landing)",
    )
    run.add_argument(
        "--warehouse",
        default=None,
        help="the DuckDB warehouse file (default: $CONTINUITY_WAREHOUSE or warehouse/continuity.duckdb)",
    )
    run.add_argument(
        "--output",
        default=None,
        help="publication, exports, reports and logs (default: $CONTINUITY_OUTPUT or the warehouse's folder)",
    )
    run.add_argument(
        "--dbt-target",
        choices=DBT_TARGETS,
        default=None,
        help="the engine dbt builds on (default: $CONTINUITY_DBT_TARGET or duckdb; spark, spark_thrift: "
        "docs/scale-out.md)",
    )
    run.add_argument(
        "--accept",
        action="append",
        metavar="GATE",
        help=f"publish although this publication gate fails ({', '.join(GATES)}); "
        "needs --reason; repeatable (default: none)",
    )
    run.add_argument(
        "--reason",
        action="append",
        metavar="TEXT",
        help="why the --accept before it is accepted, recorded in notes.json (default: none)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental tables (staging, every year of the release models) from raw "
        "(dbt --full-refresh) (default: off)",
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
    report = command(
        "report", "rebuild the slide pack, the local-area profiles and the easy-read summary from a publication"
    )
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
        "--landing",
        default=None,
        help="the folder of extract CSVs to load (default: $CONTINUITY_LANDING or data/landing)",
    )
    spark.add_argument(
        "--work", default=str(PROJECT_DIR / "warehouse" / "spark-check"), help="where both builds and logs go"
    )
    spark.add_argument(
        "--cluster",
        action="store_true",
        help="build on a local Spark standalone cluster over Thrift (target spark_thrift) instead of a session",
    )
    spark.set_defaults(func=cmd_spark_check)


def _withdraw_command(command) -> None:
    withdraw = command("withdraw", "take back a loaded file: its rows stop counting from the next run")
    withdraw.add_argument("file", help="the landing file, or its name as in raw.loaded_files (extract/file.csv)")
    withdraw.add_argument("--reason", required=True, help="why, recorded with who and when (required)")
    withdraw.add_argument(
        "--undo", action="store_true", help="end the withdrawal: the next run loads the file again (default: off)"
    )
    withdraw.add_argument(
        "--warehouse",
        default=None,
        help="the DuckDB warehouse file (default: $CONTINUITY_WAREHOUSE or warehouse/continuity.duckdb)",
    )
    withdraw.set_defaults(func=cmd_withdraw)


def _imd_command(command) -> None:
    imd = command("imd", "check the official IoD2019 File 7 CSV and make it the IMD the next run uses")
    imd.add_argument("--file7", required=True, help="the File 7 CSV as downloaded from GOV.UK (required)")
    imd.add_argument(
        "--warehouse",
        default=None,
        help="the warehouse whose reference data receives it, table reference.imd_file7 "
        "(default: $CONTINUITY_WAREHOUSE or warehouse/continuity.duckdb)",
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
    if args.command == "run":
        _check_accepted(parser, args)
    return args


def _check_accepted(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Each --accept GATE names a gate and has its own non-empty --reason (exit 2 otherwise)."""
    gates, reasons = args.accept or [], args.reason or []
    if len(gates) != len(reasons) or any(not r.strip() for r in reasons):
        parser.error("each --accept GATE needs its own --reason TEXT saying why it is accepted")
    for gate in gates:
        if gate.removeprefix("gate_") not in GATES:
            parser.error(f"--accept {gate}: no such gate; the gates are {', '.join(GATES)}")


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
