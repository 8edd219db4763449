"""A killed run worker does not block the instance: with the shipped dagster_home/dagster.yaml,
the dead run is marked failed, the monitoring daemon frees the warehouse pool slot it held, and
the automatic retry runs and succeeds (a real instance, daemon and code server)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).parent.parent.parent
BIN = Path(sys.executable).parent


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def _launch(workspace: Path, env: dict) -> None:
    command = [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "killed_once_job"]
    launched = subprocess.run(command, env=env, capture_output=True, text=True)
    assert launched.returncode == 0, f"dagster job launch failed: {launched.stdout[-1500:]} {launched.stderr[-1500:]}"


def test_a_killed_run_is_retried_and_the_retry_succeeds(tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster_home" / "dagster.yaml").read_text())
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_module:\n      module_name: tests.crash.defs\n      working_directory: {ROOT}\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "CRASH_TEST_DIR": str(work)}
    # create the instance's SQLite storage once, before the daemon and `dagster job launch` both
    # open it: started together they race to create it and can stamp its schema version twice,
    # which no later open recovers from (alembic: "more than one head present")
    dg.DagsterInstance.from_config(str(home)).dispose()
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _launch(workspace, env)
        pid = int(_wait_for(lambda: (work / "worker.pid").exists() and (work / "worker.pid").read_text(), 90, "start"))
        os.kill(pid, signal.SIGKILL)
        with dg.DagsterInstance.from_config(str(home)) as instance:

            def retried_run():
                runs = instance.get_runs()
                done = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
                return done[0] if done else None

            # the code server fails the dead run at once; the slot is freed 5 s after it ended, at the
            # monitoring daemon's next look (every 15 s); the retry then starts: well inside 120 s
            retry = _wait_for(retried_run, 120, "a successful retry")
            first = instance.get_run_by_id(retry.tags["dagster/parent_run_id"])
            assert first.status == dg.DagsterRunStatus.FAILURE
            assert retry.tags["dagster/retry_number"] == "1"
            assert (work / "done").read_text() == retry.run_id
            # the dead run holds no slot any more
            assert instance.event_log_storage.get_concurrency_run_ids() == set()
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)
