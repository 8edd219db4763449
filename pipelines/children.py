"""A run's child processes die with it, and the run lock waits for them.

dbt runs as a child process of the run (dagster-dbt starts it). Killed with SIGKILL, the
run cannot stop its children, and dbt would go on writing the warehouse for seconds with the
run lock already free. So every child the run starts goes through `guard()` first:

- it asks the kernel to SIGKILL it when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`),
  and exits at once if the parent is already gone;
- it holds a shared lock on `<warehouse>.children.lock` for as long as it lives; the kernel
  releases it only when the process has exited.

`run_lock` (pipelines/lock.py) takes the run lock and then waits until no child of an
earlier run holds the children lock, so a new run never starts while one is still writing.
dbt is started as `continuity-dbt` (dbt itself, guarded, with the deployment's settings as
its vars when the command line gives none: `dbt_main`), and `continuity-dbt-spark` calls
`guard()` before it starts dbt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

PARENT_VAR = "continuity_run_pid"  # the pid of the process that started dbt, in its --vars
_held: list = []  # the children lock, open for the life of this process


def children_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".children.lock")


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    # the run may have died before prctl took effect: then this process was re-parented
    parent, expected = os.getppid(), var_from_args(sys.argv[1:], PARENT_VAR)
    if parent == 1 or (expected and int(expected) != parent and not _alive(int(expected))):
        os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def var_from_args(args: list[str], name: str) -> str | None:
    """One value of a dbt command's `--vars` (JSON), or None."""
    import json

    for flag, value in zip(args, args[1:], strict=False):
        if flag == "--vars":
            try:
                found = json.loads(value).get(name)
            except (ValueError, AttributeError):
                found = None
            if found:
                return str(found)
    return None


def warehouse_from_args(args: list[str]) -> str | None:
    """The warehouse a dbt command works on: the `continuity_warehouse` of its `--vars` (how a
    run passes it, pipelines/settings.py), else the deployment's (a bare dbt call)."""
    from pipelines.settings import Settings

    return var_from_args(args, "continuity_warehouse") or str(Settings.from_env().warehouse)


# dbt commands that read no profile: they need no vars
NO_PROFILE_COMMANDS = ("--version", "--help", "-h", "deps", "clean", "init")
# dbt's subcommands: the command of a command line is the first of these, wherever it stands
# (a global option's value, as in `--log-level-file info build`, is not one)
DBT_COMMANDS = frozenset(
    "build clean clone compile debug deps docs init list ls parse retry run run-operation seed show "
    "snapshot source test".split()
)


def dbt_command(args: list[str]) -> str:
    """The dbt subcommand of a command line ('' when none is given)."""
    return next((a for a in args if a in DBT_COMMANDS), "")


def with_settings(args: list[str]) -> list[str]:
    """A dbt command line with the deployment's settings added where it gives none: the vars
    profiles.yml reads (`Settings.dbt_vars`, merged under any `--vars` given) and the target,
    so a bare `continuity-dbt build` works on the configured warehouse, as a run does."""
    import json

    from pipelines.settings import Settings

    command = dbt_command(args)
    if not command or command in NO_PROFILE_COMMANDS or any(a in NO_PROFILE_COMMANDS for a in args[:1]):
        return list(args)
    settings = Settings.from_env()
    args = list(args)
    given = {}
    if "--vars" in args:
        at = args.index("--vars")
        given = json.loads(args[at + 1]) if at + 1 < len(args) else {}
        del args[at : at + 2]
    args += ["--vars", json.dumps({**settings.dbt_vars(), **given})]
    if "--target" not in args and "-t" not in args:
        args += ["--target", settings.dbt_target]
    return args


def guard(args: list[str] | None = None) -> None:
    """Call first in a child of the run: die with the parent; hold the children lock."""
    import fcntl

    _die_with_parent()
    warehouse = warehouse_from_args(sys.argv[1:] if args is None else args)
    if warehouse:
        path = children_lock_path(Path(warehouse))
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a")  # noqa: SIM115 - held until the process exits
            fcntl.flock(handle, fcntl.LOCK_SH)
            _held.append(handle)


def wait_for_children(warehouse: Path, timeout: float = 60.0) -> bool:
    """Wait until no child process of an earlier run is alive (none holds the children lock).
    True when none is; False after `timeout` seconds."""
    import fcntl

    path = children_lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.1)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True


def without_run_pid(args: list[str]) -> list[str]:
    """The command line dbt itself gets: the run's pid (PARENT_VAR, which the guard reads from
    this process's own arguments) taken out of `--vars`. dbt parses the whole project again
    whenever its vars differ from the last parse's; without the pid they are the same from one
    run on a warehouse to the next, so dbt parses only the files that changed."""
    import json

    if "--vars" not in args:
        return list(args)
    at = args.index("--vars")
    try:
        given = json.loads(args[at + 1])
    except (IndexError, ValueError):
        return list(args)
    if not isinstance(given, dict) or PARENT_VAR not in given:
        return list(args)
    given.pop(PARENT_VAR)
    return [*args[:at], "--vars", json.dumps(given), *args[at + 2 :]]


def dbt_main() -> None:  # console script `continuity-dbt`
    """dbt, as the `dbt` console script runs it, guarded, with the deployment's settings."""
    args = with_settings(sys.argv[1:])
    guard(args)
    from dbt.cli.main import cli

    sys.exit(cli(without_run_pid(args)))
