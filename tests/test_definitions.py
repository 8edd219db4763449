"""The Dagster code location: it loads, the schedule and sensor do what they say, and the
real webserver serves the asset graph."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg

from dagster_project.automation import landing_sensor, quarterly_schedule
from dagster_project.definitions import defs
from tests.helpers import secure_row, write_extract


def test_definitions_load_with_every_layer_and_documented_assets():
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {
        "raw/ndtms_secure",
        "stg_ndtms__secure_episodes",
        "int_release_engagement",
        "phof_c20",
        "inequality_breakdowns",
        "er_outcomes_summary",
        "publication",
        "exports",
    } <= keys
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert groups == {"ingest", "reference", "staging", "intermediate", "marts", "publication", "publish", "exports"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.description, key
            assert node.owners == ["team:continuity-data"], key
    pools = {
        frozenset(graph.get(dg.AssetKey(k)).pools) for k in (["raw", "ndtms_secure"], ["phof_c20"], ["publication"])
    }
    assert pools == {frozenset({"duckdb_warehouse"})}


def test_the_dbt_engine_is_a_resource_setting():
    # dbt guarded so that it dies with the run (dagster_project/children.py)
    assert (defs.resources["dbt"].target, Path(defs.resources["dbt"].dbt_executable).name) == (
        "duckdb",
        "continuity-dbt",
    )
    # a fresh process, as `continuity run --dbt-target spark` starts one
    code = (
        "from dagster_project.definitions import defs; from pathlib import Path; "
        "r = defs.resources['dbt']; print(r.target, Path(r.dbt_executable).name)"
    )
    env = {**os.environ, "CONTINUITY_DBT_TARGET": "spark"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["spark", "continuity-dbt-spark"]


def test_the_quarterly_schedule_runs_the_full_refresh_after_each_ndtms_submission():
    assert quarterly_schedule.cron_schedule == "0 6 15 2,5,8,11 *"
    assert quarterly_schedule.execution_timezone == "Europe/London"
    assert quarterly_schedule.job_name == "full_refresh"
    assert {j.name for j in [defs.resolve_job_def("full_refresh"), defs.resolve_job_def("exports_only")]} == {
        "full_refresh",
        "exports_only",
    }


def test_the_landing_sensor_requests_one_run_per_new_file_and_none_after(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTINUITY_LANDING", str(tmp_path))
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    first_context = dg.build_sensor_context(cursor=None)
    first = landing_sensor(first_context)
    assert isinstance(first, dg.RunRequest)
    assert first.run_key.startswith("ndtms_secure/ndtms_secure_20230630.csv:")
    # the cursor records the file's name and sha256
    [(name, (size, _mtime, digest))] = json.loads(first_context.cursor).items()
    assert name == "ndtms_secure/ndtms_secure_20230630.csv" and len(digest) == 64 and size > 0
    # the next tick with the cursor: nothing new
    second_context = dg.build_sensor_context(cursor=first_context.cursor)
    assert isinstance(landing_sensor(second_context), dg.SkipReason)
    # a second file: exactly one request naming only it
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S2")])
    third = landing_sensor(dg.build_sensor_context(cursor=second_context.cursor))
    assert isinstance(third, dg.RunRequest)
    assert third.run_key.startswith("ndtms_secure/ndtms_secure_20230930.csv:") and "|" not in third.run_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_webserver_serves_the_asset_graph(tmp_path):
    port = _free_port()
    (tmp_path / "dagster.yaml").write_text((Path(__file__).parent.parent / "dagster_home" / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-m",
            "dagster_project.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = json.dumps({"query": "{ assetNodes { assetKey { path } groupName } }"}).encode()
        deadline, nodes = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    nodes = json.loads(response.read())["data"]["assetNodes"]
                    break
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        assert nodes, "the webserver did not answer within 120 s"
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"raw/ndtms_secure", "phof_c20", "publication", "exports"} <= keys
    finally:
        server.terminate()
        server.wait(timeout=30)
