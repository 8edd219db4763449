"""A run's child processes die with it, and the run lock waits for them.

dbt runs as a child process of the run (dagster-dbt starts it). Killed with SIGKILL, the
run cannot stop its children, and dbt would go on writing the warehouse for seconds with the
run lock already free. So every child the run starts goes through `guard()` first:

- it asks the kernel to SIGKILL it when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`),
  and exits at once if the parent is already gone;
- it holds a shared lock on `<warehouse>.children.lock` for as long as it lives; the kernel
  releases it only when the process has exited.

`run_lock` (dagster_project/cli.py) takes the run lock and then waits until no child of an
earlier run holds the children lock, so a new run never starts while one is still writing.
dbt is started as `continuity-dbt` (dbt itself, guarded; dagster_project/resources.py), and
`continuity-dbt-spark` calls `guard()` before it starts dbt.
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
    run passes it, dagster_project/settings.py), else CONTINUITY_WAREHOUSE (a bare dbt call)."""
    return var_from_args(args, "continuity_warehouse") or os.environ.get("CONTINUITY_WAREHOUSE")


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


def dbt_main() -> None:  # console script `continuity-dbt`
    """dbt, as the `dbt` console script runs it, guarded."""
    guard()
    from dbt.cli.main import cli

    sys.exit(cli())
