"""What a person watching `continuity run` sees, and the log a run always leaves behind.

The terminal shows one line per stage (load, dbt build, checks, publication) with its counts
in words and its time, and, on a terminal, a live progress bar while a stage runs (rich, a
dependency of Dagster). Everything else (Dagster's event log, dbt's output) goes to
<output>/logs/last-run.log as plain text, in every mode; --verbose also shows it on the
terminal. Text from data (file names, quarantine reasons, values) can hold control
characters: `printable` shows them escaped, so they never reach a terminal raw."""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from dagster_project.terminal import LOG_NAME, plain, printable

MODES = ("quiet", "normal", "verbose")


class PlainLog(io.TextIOBase):
    """A text stream writing plain text to a file, optionally also to a terminal."""

    def __init__(self, file, terminal=None):
        self.file, self.terminal = file, terminal

    def write(self, text: str) -> int:
        self.file.write(plain(text))
        self.file.flush()  # a live log: `tail -f last-run.log` follows a run as it goes
        if self.terminal is not None:
            # dbt's and Dagster's colour codes removed, any other control character escaped: a
            # terminal never shows a literal \x1b[32m, nor obeys a sequence from data
            self.terminal.write(plain(text))
        return len(text)

    def flush(self) -> None:
        self.file.flush()
        if self.terminal is not None:
            self.terminal.flush()

    def isatty(self) -> bool:
        return False  # so loggers write no colour codes to the file


def words(n: int, noun: str, plural: str | None = None) -> str:
    """A count in words: `1 file`, `2 files`, `448,672 rows`."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


@dataclass
class Stage:
    """One stage of a run: its steps, what they did, and when it started."""

    name: str
    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    failed_steps: int = 0
    built: int = 0
    rows: int = 0
    quarantined: int = 0
    rejected: int = 0
    checks: dict[str, int] = field(default_factory=lambda: {"passed": 0, "warned": 0, "failed": 0})
    kinds: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        seconds = time.monotonic() - self.started
        parts = []
        if self.name == "load":
            parts.append(f"{words(self.steps, 'extract')}, {words(self.rows, 'row')} loaded")
            parts.append(f"{words(self.quarantined, 'line')} quarantined, {words(self.rejected, 'file')} rejected")
        elif self.name == "dbt build":
            parts.append(f"{words(self.built, 'model or seed', 'models and seeds')} built")
        elif self.name == "publication":
            parts.append("published, exports and reports written" if self.built else "not published")
        if sum(self.checks.values()):
            kinds = " and ".join(words(n, kind) for kind, n in self.kinds.items())
            counts = ", ".join(f"{n} {state}" for state, n in self.checks.items() if n or state == "passed")
            parts.append(f"{kinds}: {counts}")
        if self.failed_steps:
            parts.append(f"{words(self.failed_steps, 'step')} FAILED")
        return f"  {self.name:<12} {'; '.join(parts):<78} {seconds:6.1f} s"


def check_kind_singular(check_name: str) -> str:
    """The kind of an asset check by its name: assets/validation.py names Great Expectations
    suites gx_<suite>, assets/gates.py gates gate_<gate>; the others are dbt tests."""
    if check_name.startswith("gx_"):
        return "Great Expectations suite"
    if check_name.startswith("gate_"):
        return "publication gate"
    return "dbt test"


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to (the step keys of dagster_project/assets)."""
    if step_key.startswith("raw__"):
        return "load"
    if step_key.startswith("continuity_dbt"):
        return "dbt build"
    if step_key == "publication":
        return "publication"
    return "checks"  # Great Expectations suites and publication gates


def _dbt_node_count() -> int | None:
    """How many models, seeds and snapshots the dbt build materialises (the bar's total)."""
    import json

    from dagster_project.dbt_project import DBT_PROJECT

    try:
        manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text())
    except (OSError, ValueError):
        return None
    kinds = ("model", "seed", "snapshot")
    return sum(1 for n in manifest["nodes"].values() if n["resource_type"] in kinds)


class ProgressHandler(logging.Handler):
    """Turns Dagster events into stage lines (and a live bar on a terminal)."""

    active: list[ProgressHandler] = []

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.stage: Stage | None = None
        self.bar = None
        ProgressHandler.active.append(self)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            if event.step_key != "raw__loaded_files":  # the loader's record, not an extract
                self._start(stage_of(event.step_key or ""))
        elif self.stage is None:
            return
        elif kind == "ASSET_MATERIALIZATION":
            self._materialised(event.event_specific_data.materialization)
        elif kind == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            state = "passed" if check.passed else ("failed" if check.severity.value == "ERROR" else "warned")
            self.stage.checks[state] += 1
            kind = check_kind_singular(check.check_name)
            self.stage.kinds[kind] = self.stage.kinds.get(kind, 0) + 1
        elif kind == "STEP_FAILURE":
            self.stage.failed_steps += 1
        elif kind in ("RUN_SUCCESS", "RUN_FAILURE"):
            self.finish()
        self._advance()

    def _start(self, name: str) -> None:
        if self.stage is not None and self.stage.name == name:
            self.stage.steps += 1
            return
        self.finish()
        self.stage = Stage(name, steps=1)
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            total = _dbt_node_count() if name == "dbt build" else None
            self.bar = Progress(
                TextColumn(f"  {name:<12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
                # sys.stdout and sys.stderr are the run log here (run_output): leave them be
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.bar.add_task(name, total=total)
            self.bar.start()

    def _materialised(self, mat) -> None:
        stage = self.stage
        if mat.asset_key.path[0] == "raw":
            meta = mat.metadata
            stage.rows += int(meta["rows_loaded"].value) if "rows_loaded" in meta else 0
            stage.quarantined += int(meta["rows_quarantined"].value) if "rows_quarantined" in meta else 0
            stage.rejected += int(meta["files_rejected"].value) if "files_rejected" in meta else 0
        else:
            stage.built += 1

    def _advance(self) -> None:
        if self.bar is not None and self.stage is not None:
            done = self.stage.built if self.stage.name == "dbt build" else self.stage.steps
            self.bar.update(self.bar.task_ids[0], completed=done)

    def finish(self) -> None:
        """Close the current stage: its bar goes, its line stays."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
        if self.stage is not None:
            self.stream.write(printable(self.stage.line()).rstrip() + "\n")
            self.stream.flush()
            self.stage = None

    @classmethod
    def finish_all(cls) -> None:
        """End every progress display of this process (after a run, whatever its outcome)."""
        while cls.active:
            cls.active.pop().finish()


@dg.logger(description="One line per stage, with a progress bar on a terminal, for people watching `continuity run`.")
def progress_logger(init_context) -> logging.Logger:
    log = logging.Logger("continuity_progress", level=logging.DEBUG)
    log.addHandler(ProgressHandler(sys.__stdout__))
    return log


@contextmanager
def run_output(log_dir: Path, mode: str = "normal") -> Iterator[dict]:
    """Where a run's output goes; yields the run config's loggers.

    Every mode writes Dagster's event log and dbt's output to <log_dir>/last-run.log as
    plain text. `normal` shows stage lines on the terminal, `verbose` the stage lines and the
    full log as well, `quiet` nothing (the CLI prints only its verdict)."""
    if mode not in MODES:
        raise ValueError(f"output mode {mode!r}: one of {', '.join(MODES)}")
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # the log has every event (each step's start and end too), whatever the terminal shows
    loggers: dict = {"console": {"config": {"log_level": "DEBUG"}}}
    if mode in ("normal", "verbose"):
        loggers["progress"] = {}
    with open(log_dir / LOG_NAME, "w", encoding="utf-8") as file:
        stream = PlainLog(file, terminal=sys.__stderr__ if mode == "verbose" else None)
        try:
            with redirect_stdout(stream), redirect_stderr(stream):
                yield loggers
        finally:
            ProgressHandler.finish_all()
