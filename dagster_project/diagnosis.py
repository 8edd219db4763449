"""Why a run failed, in one line: the CLI's error and every alert say it the same way.

The cause is looked for where an on-call engineer would look: a blocking check that failed
(a publication gate's reason, a Great Expectations suite's summary), a step's own failure
description (the landing folder does not exist), the exception at the bottom of a failed
step (with an operating-system cause, such as a full disk, named in words, also when only
the dbt log it points to says so), or the run's own failure message (its worker was killed).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

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


def _step_failure(event) -> str:
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return f"step {event.step_key} failed: {' '.join(data.user_failure_data.description.split())[:600]}"
    error = data.error
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


def _blocking_check(check) -> str:
    summary = check.metadata.get("summary")
    text = summary.value if summary is not None else (check.description or "failed")
    if check.check_name.startswith("gate_"):
        return f"publication gate {check.check_name.removeprefix('gate_')} blocks: {text}"
    return f"blocking check {check.check_name} on {check.asset_key.to_user_string()} failed: {text}"


def _innermost(error) -> str:
    """The message at the bottom of an error chain, without its exception class's module path
    (`pipelines.lock.WarehouseBusy: another run ...` -> `another run ...`)."""
    while error.cause is not None:
        error = error.cause
    text = " ".join(error.message.split())
    return re.sub(r"^[\w.]+(Error|Exception|Busy|Refused|Failure)\w*: ", "", text)


def _run_failure(event) -> str | None:
    """A run that died outside its steps: its worker killed, or its resources failed to start."""
    message = " ".join((event.message or "").split())
    # "Run execution process for <id> unexpectedly exited with exit code -9": killed by signal 9
    killed = re.search(r"exit code -(\d+)|signal (\d+)|SIGKILL", message)
    if killed:
        number = killed.group(1) or killed.group(2) or "9"
        return f"the run worker was killed (signal {number}): {message[:300]}"
    error = getattr(event.event_specific_data, "error", None)
    if error is not None:
        return _innermost(error)[:600]
    return None


def failure_reason(events) -> str:
    """One line on why a run failed, from its Dagster events (in order)."""
    events = list(events)
    for event in events:  # a blocked publication: the gate's or the check's own reason first
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed and check.severity.value == "ERROR":
                return _blocking_check(check)
    for event in events:
        if event.event_type_value == "STEP_FAILURE":
            return _step_failure(event)
    for event in events:  # a run's resources that could not start (the warehouse is busy)
        if event.event_type_value == "RESOURCE_INIT_FAILURE" and getattr(event.event_specific_data, "error", None):
            return _innermost(event.event_specific_data.error)[:600]
    for event in events:  # Dagster still names a run's failure PIPELINE_FAILURE in its events
        if event.event_type_value in ("RUN_FAILURE", "PIPELINE_FAILURE"):
            return _run_failure(event) or " ".join((event.message or "the run failed").split())[:600]
    return "the run failed (see the Dagster event log)"
