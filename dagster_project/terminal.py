"""Text from data on a terminal and in a log: control characters escaped, colour codes
removed. Light on purpose (no Dagster import): `continuity --help` and every error use it."""

from __future__ import annotations

import re

# the run's plain-text log, in <output>/logs/ (written by progress.py, or by a run with nothing new)
LOG_NAME = "last-run.log"
# ANSI escape sequences (colours, cursor moves) that Dagster's and dbt's loggers write
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
# C0 and C1 control characters except tab and newline
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """`text` with every control character (an escape sequence in a bad value or a file
    name, a carriage return, a bell) shown as \\xNN, so data cannot drive the terminal."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def plain(text: str) -> str:
    """Log text as plain text: our tools' colour codes removed, other control characters escaped."""
    return printable(ANSI.sub("", text))
