"""Fixtures shared by the end-to-end modules."""

import json
import os
import subprocess
import sys

import pytest
from filelock import FileLock

CLI = [sys.executable, "-m", "dagster_project.cli"]
DEMO_SCALE = "0.12"  # the Makefile's DEMO_SCALE, with the generator's default seed


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory, worker_id):
    """The demo's sample generated and run once for the whole session, as `make demo` does
    (without a key in the environment): the first pytest-xdist worker to ask builds it under a
    lock, the other waits and reuses it. The modules using it only read it. Returns the folder
    (landing/, wh/continuity.duckdb and everything the run wrote beside it) and the run's
    terminal lines."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    root = shared / "demo-shared"
    record = root / "run.json"
    with FileLock(str(shared / "demo-shared.lock")):
        if not record.exists():
            env = {k: v for k, v in os.environ.items() if k not in ("CONTINUITY_PSEUDO_KEY", "CONTINUITY_DEV_KEY_OK")}
            landing, warehouse = root / "landing", root / "wh" / "continuity.duckdb"
            subprocess.run(CLI + ["generate", "--out", str(landing), "--scale", DEMO_SCALE], check=True, env=env)
            done = subprocess.run(
                CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse)],
                capture_output=True,
                text=True,
                env=env,
            )
            record.write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))
        result = json.loads(record.read_text())
    assert result["returncode"] == 0, result["stdout"][-3000:] + result["stderr"][-3000:]
    return root, result["stdout"].splitlines()
