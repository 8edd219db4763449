"""A Dagster logger that shows a person what a run is doing: one line per step and per
ingested extract, with rows and seconds, instead of a silent minute (or a wall of debug)."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg


class _ProgressHandler(logging.Handler):
    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        step = event.step_key or ""
        line = None
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            line = f"  ... {step}"
        elif kind == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            if mat.asset_key.path[0] == "raw" and "summary" in mat.metadata:
                line = f"      {mat.metadata['summary'].value}"
            elif step.startswith("continuity_dbt"):
                line = f"      built {mat.asset_key.to_user_string()}"
        elif kind == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed:
                line = f"      check failed: {check.asset_key.to_user_string()} {check.check_name}"
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = time.monotonic() - self.started.get(step, time.monotonic())
            mark = "ok" if kind == "STEP_SUCCESS" else "FAILED"
            line = f"  {mark} {step} ({seconds:.1f} s)"
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()


@dg.logger(description="One line per step and extract, for people watching `continuity run`.")
def progress_logger(init_context) -> logging.Logger:
    log = logging.Logger("continuity_progress", level=logging.DEBUG)
    log.addHandler(_ProgressHandler(sys.__stdout__))
    return log
