"""Staging as incremental tables, build by build as quarters arrive: a new version replaces the
current one, a late-sent older version never does, and a withdrawn file's keys fall back to the
version before. Each quarter is loaded by the loader and the staging model built by dbt in a
subprocess, incrementally, as a run does (`continuity run` would build every model after it: the
whole-run path is tested in test_run.py and test_gates.py); `continuity withdraw` is the CLI.
The hand-written expectations are what a full rebuild from the same raw rows gives (checked at
the end with dbt --full-refresh)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers import load_and_build, secure_row, write_extract

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}
ENV.pop("CONTINUITY_DEV_KEY_OK", None)
CURRENT = "select episode_id, prison_exit_date::varchar, source_file from staging.stg_ndtms__secure_episodes order by 1"


def run(landing: Path, warehouse: Path, *flags: str) -> None:
    """Load the landing's new secure files, then build the staging model and what it reads."""
    load_and_build(landing, warehouse, ["ndtms_secure"], ["+stg_ndtms__secure_episodes"], *flags)


def current(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(CURRENT).fetchall()
    finally:
        con.close()


def secure(extract_date: str) -> str:
    return f"ndtms_secure/ndtms_secure_{extract_date.replace('-', '')}.csv"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    return root / "landing", root / "wh" / "c.duckdb"


def test_quarters_arriving_late_versions_and_a_withdrawal(world):
    landing, warehouse = world
    write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row(EPISODID="S1", PRISEXDT="2023-06-11",
                  DISD="2023-06-11"), secure_row(EPISODID="S2")])  # fmt: skip
    run(landing, warehouse)
    assert current(warehouse) == [
        ("S1", "2023-06-11", secure("2023-06-30")),
        ("S2", "2023-06-01", secure("2023-06-30")),
    ]
    # the next quarter corrects S1 and adds S3: only those keys are ranked again
    write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S1", PRISEXDT="2023-06-01"),
                  secure_row(EPISODID="S3", PRISEXDT="2023-09-02", DISD="2023-09-02")])  # fmt: skip
    run(landing, warehouse)
    assert current(warehouse) == [
        ("S1", "2023-06-01", secure("2023-09-30")),
        ("S2", "2023-06-01", secure("2023-06-30")),
        ("S3", "2023-09-02", secure("2023-09-30")),
    ]
    # an older extract sent late: loaded last, but its extract date is older, so S1 keeps its version
    write_extract(landing, "ndtms_secure", "2023-03-31", [secure_row(EPISODID="S1", RECEPDT="2023-01-10",
                  PRISEXDT="2023-03-05", DISD="2023-03-05")])  # fmt: skip
    run(landing, warehouse)
    assert current(warehouse)[0] == ("S1", "2023-06-01", secure("2023-09-30"))
    # the analyst withdraws the September file: S1 falls back to June's version, S3 goes
    withdrawn = subprocess.run(
        CLI + ["withdraw", "ndtms_secure_20230930.csv", "--reason", "wrong export", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert withdrawn.returncode == 0, withdrawn.stderr
    run(landing, warehouse)
    expected = [("S1", "2023-06-11", secure("2023-06-30")), ("S2", "2023-06-01", secure("2023-06-30"))]
    assert current(warehouse) == expected
    # and a full rebuild from the same raw rows agrees
    run(landing, warehouse, "--full-refresh")
    assert current(warehouse) == expected
