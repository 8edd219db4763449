"""Staging as incremental tables, run by run as quarters arrive (a real subprocess each time):
a new version replaces the current one, a late-sent older version never does, and a withdrawn
file's keys fall back to the version before. The hand-written expectations are what a full
rebuild from the same raw rows gives (checked at the end with dbt --full-refresh)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.contract import PROJECT_DIR
from pipelines.dbt_runner import dbt_executable
from tests.helpers import secure_row, write_extract

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}
ENV.pop("CONTINUITY_DEV_KEY_OK", None)
CURRENT = "select episode_id, prison_exit_date::varchar, source_file from staging.stg_ndtms__secure_episodes order by 1"


def run(landing: Path, warehouse: Path) -> None:
    result = subprocess.run(
        CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse)], capture_output=True, text=True, env=ENV
    )
    # only the secure extract is here, so the gates refuse to publish (exit 1): the build ran
    assert result.returncode in (0, 1), result.stderr + result.stdout[-2000:]
    assert "dbt build" in result.stdout and "FAILED" not in result.stdout.split("dbt build")[1].splitlines()[0]


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
    rebuilt = subprocess.run(
        [dbt_executable(), "run", "--full-refresh", "--select", "stg_ndtms__secure_episodes", "--profiles-dir",
         str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR), "--target-path", str(warehouse.parent / "target")],
        capture_output=True, text=True, cwd=PROJECT_DIR, env={**ENV, "CONTINUITY_WAREHOUSE": str(warehouse)},
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:]
    assert current(warehouse) == expected
