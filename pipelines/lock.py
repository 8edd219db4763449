"""One run per warehouse at a time, whatever starts it (the CLI, the UI, the schedule, the sensor).

The lock is an advisory lock (`flock`) on `<warehouse>.lock`, released by the kernel when the
process holding it dies. A Dagster run takes it when its warehouse resource starts, before
any step (dagster_project/resources.py); `continuity run` takes it before it reads anything,
and its in-process run then finds it already held by its own process. A second run is
refused at once, saying who holds the warehouse.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held: dict[Path, list] = {}  # lock file -> [open handle, depth]: re-entrant within a process
_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def holder(warehouse: Path) -> str:
    """Who holds (or last held) the warehouse's lock, as its holder wrote it."""
    try:
        return lock_path(warehouse).read_text().strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def run_lock(warehouse: Path, what: str = "") -> Iterator[None]:
    """Hold the warehouse's run lock for the block, or raise WarehouseBusy at once:
    "another run is using <warehouse> (pid N, started at T)". `what` names the holder
    further (a Dagster run id). Then waits until no child process of an earlier run is still
    writing (pipelines/children.py)."""
    import fcntl

    warehouse = Path(warehouse).resolve()
    path = lock_path(warehouse)
    with _guard:
        if path in _held:
            _held[path][1] += 1
            entered = False
        else:
            entered = True
    if not entered:
        try:
            yield
        finally:
            with _guard:
                _held[path][1] -= 1
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = open(path, "a+")  # noqa: SIM115 - held for the block
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        who = handle.read().strip() or "another process"
        handle.close()
        raise WarehouseBusy(f"another run is using {warehouse} ({who}); wait for it to finish") from None
    from pipelines.children import wait_for_children

    if not wait_for_children(warehouse):
        handle.close()
        raise WarehouseBusy(f"a process of an earlier run is still writing {warehouse}; try again in a minute")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}{', ' + what if what else ''}, started at {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    with _guard:
        _held[path] = [handle, 1]
    try:
        yield
    finally:
        with _guard:
            _held.pop(path, None)
        handle.close()
