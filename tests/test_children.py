"""pipelines/children.py: a guarded child dies with its parent, and a new run waits
until no child of an earlier run is alive."""

import os
import subprocess
import sys
import time

from pipelines.children import wait_for_children

GUARDED_SLEEPER = "from pipelines.children import guard; guard(); import time; print('up', flush=True); time.sleep(60)"


def test_a_new_run_waits_until_the_children_of_the_last_are_gone(tmp_path):
    warehouse = tmp_path / "c.duckdb"
    env = {**os.environ, "CONTINUITY_WAREHOUSE": str(warehouse)}
    env.pop("CONTINUITY_RUN_PID", None)
    child = subprocess.Popen([sys.executable, "-c", GUARDED_SLEEPER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "up"  # it holds the children lock now
        started = time.monotonic()
        assert wait_for_children(warehouse, timeout=0.5) is False
        assert time.monotonic() - started >= 0.5
    finally:
        child.kill()
        child.wait()
    assert wait_for_children(warehouse, timeout=5) is True


def test_a_guarded_child_dies_with_its_parent(tmp_path):
    # parent: a python process that starts the guarded sleeper, prints its pid, then waits;
    # killing the parent with SIGKILL must take the sleeper with it
    parent_code = (
        "import subprocess, sys; "
        f"c = subprocess.Popen([sys.executable, '-c', {GUARDED_SLEEPER!r}], stdout=subprocess.PIPE, text=True); "
        "c.stdout.readline(); print(c.pid, flush=True); c.wait()"
    )
    env = {**os.environ, "CONTINUITY_WAREHOUSE": str(tmp_path / "c.duckdb")}
    env.pop("CONTINUITY_RUN_PID", None)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=env, stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = open(f"/proc/{child_pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(child_pid, 9)
        raise AssertionError("the guarded child outlived its parent")


def test_a_bare_dbt_command_gets_the_deployments_settings_as_vars(monkeypatch):
    # profiles.yml has no defaults of its own: continuity-dbt passes the settings, under any given
    import json

    from pipelines.children import with_settings

    monkeypatch.setenv("CONTINUITY_WAREHOUSE", "/srv/w/c.duckdb")
    monkeypatch.delenv("CONTINUITY_DBT_TARGET", raising=False)
    args = with_settings(["build", "--vars", json.dumps({"continuity_memory_limit": "1GB"})])
    at = args.index("--vars")
    assert json.loads(args[at + 1]) == {
        "continuity_warehouse": "/srv/w/c.duckdb",
        "continuity_memory_limit": "1GB",  # given on the command line: kept
        "continuity_spark_threads": 2,
        "continuity_spark_host": "127.0.0.1",
        "continuity_spark_port": 10000,
        "continuity_spark_user": "continuity",
        "continuity_spark_auth": "NONE",
        "continuity_spark_schema": "continuity",
    }
    assert args[-2:] == ["--target", "duckdb"]
    assert with_settings(["--version"]) == ["--version"]


def test_dbt_gets_the_vars_without_the_runs_pid():
    # the pid changes every run, and dbt parses the whole project when its vars change
    import json

    from pipelines.children import PARENT_VAR, without_run_pid

    args = ["build", "--vars", json.dumps({"continuity_warehouse": "/w/c.duckdb", PARENT_VAR: 4242}), "--quiet"]
    assert without_run_pid(args) == ["build", "--vars", '{"continuity_warehouse": "/w/c.duckdb"}', "--quiet"]
    assert without_run_pid(["parse", "--quiet"]) == ["parse", "--quiet"]


def test_the_command_is_found_after_global_options_with_values():
    # Dagster's dbt resource puts its global flags first: `--log-level-file info build ...`;
    # "info" is the flag's value, not the command (the cluster target read it as one and ran
    # dbt without registering the raw lake)
    from pipelines.children import dbt_command

    assert dbt_command(["--log-level-file", "info", "build", "--select", "fqn:*"]) == "build"
    assert dbt_command(["--quiet", "run-operation", "x"]) == "run-operation"
    assert dbt_command(["--version"]) == ""


def test_the_cluster_target_registers_the_lake_before_a_build_with_global_flags(monkeypatch):
    import dbt.cli.main

    import pipelines.spark_thrift as thrift

    calls = []
    monkeypatch.setattr(thrift, "register_lake", lambda settings: calls.append("register_lake"))

    class Runner:
        def invoke(self, args):
            calls.append(args[:3])
            return type("Result", (), {"success": False, "exception": None})()

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    args = ["--log-level-file", "info", "build", "--vars", '{"continuity_warehouse": "/w/c.duckdb"}']
    assert thrift.dbt_main(args) == 1
    assert calls[0] == "register_lake"
    assert calls[1][:3] == ["--log-level-file", "info", "build"]
