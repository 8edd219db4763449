"""The Dagster code location: it loads, the schedule and sensor do what they say, and the
real webserver serves the asset graph."""

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg

from dagster_project.assets.ingest import INGEST_ASSETS
from dagster_project.automation import landing_sensor, quarterly_schedule
from dagster_project.definitions import defs
from dagster_project.resources import WarehouseResource
from pipelines.load import sha256_of
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


def test_the_dbt_engine_is_a_setting_of_the_warehouse_resource(monkeypatch):
    from dagster_project.resources import dbt_resource

    monkeypatch.delenv("CONTINUITY_DBT_TARGET", raising=False)
    assert WarehouseResource().settings.dbt_target == "duckdb"
    monkeypatch.setenv("CONTINUITY_DBT_TARGET", "spark")  # read when a run starts, not at import
    assert WarehouseResource().settings.dbt_target == "spark"
    assert WarehouseResource(dbt_target="duckdb").settings.dbt_target == "duckdb"  # a launchpad field wins
    # dbt guarded so that it dies with the run (pipelines/children.py)
    dbt = dbt_resource("spark")
    assert (dbt.target, Path(dbt.dbt_executable).name) == ("spark", "continuity-dbt-spark")


def test_the_quarterly_schedule_runs_the_full_refresh_after_each_ndtms_submission():
    assert quarterly_schedule.cron_schedule == "0 6 15 2,5,8,11 *"
    assert quarterly_schedule.execution_timezone == "Europe/London"
    assert quarterly_schedule.job_name == "full_refresh"
    assert {j.name for j in [defs.resolve_job_def("full_refresh"), defs.resolve_job_def("exports_only")]} == {
        "full_refresh",
        "exports_only",
    }


def _warehouse_with_loaded(path: Path, files: list[tuple[str, str]]) -> None:
    """A warehouse whose raw.loaded_files lists these (source_file, sha256), as a run leaves it."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute("create table raw.loaded_files (extract varchar, source_file varchar, file_sha256 varchar)")
    con.executemany("insert into raw.loaded_files values ('ndtms_secure', ?, ?)", files)
    con.close()


def _sense(cursor, warehouse):
    """One tick of the landing sensor; the context as a block, as the daemon opens it (the
    warehouse resource takes the run lock for runs only: a tick takes none)."""
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}) as context:
        return landing_sensor(context), context.cursor


def test_the_landing_sensor_is_quiet_about_loaded_files_with_short_keys_and_cursor(tmp_path):
    landing, warehouse_file = tmp_path / "landing", tmp_path / "w" / "continuity.duckdb"
    warehouse = WarehouseResource(landing=str(landing), warehouse=str(warehouse_file))
    first_file = write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row()])
    # no warehouse yet: nothing is loaded, so the file is new
    first, cursor = _sense(None, warehouse)
    assert isinstance(first, dg.RunRequest)
    # run key and cursor are 16-hex-digit digests (sha256 prefixes), not file lists
    assert len(first.run_key) == 16 and len(cursor) == 16
    assert first.tags["continuity/new_files"] == "1"
    # the next tick with the cursor: the folder has not changed
    assert isinstance(_sense(cursor, warehouse)[0], dg.SkipReason)
    assert not (tmp_path / "w" / "continuity.duckdb.lock").exists()  # a tick takes no run lock
    # the run loaded the file; switching the sensor off and on (no cursor) requests nothing
    name = "ndtms_secure/ndtms_secure_20230630.csv"
    warehouse_file.parent.mkdir()
    _warehouse_with_loaded(warehouse_file, [(name, sha256_of(first_file))])
    quiet, fresh_cursor = _sense(None, warehouse)
    assert isinstance(quiet, dg.SkipReason) and "1 landing file(s) is already loaded" in quiet.skip_message
    # a second file: one request, keyed on that file only
    second_file = write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S2")])
    third, _ = _sense(fresh_cursor, warehouse)
    assert isinstance(third, dg.RunRequest) and third.tags["continuity/new_files"] == "1"
    expected = hashlib.sha256(f"ndtms_secure/ndtms_secure_20230930.csv:{sha256_of(second_file)}".encode())
    assert third.run_key == expected.hexdigest()[:16]


@dg.asset
def settings_probe(warehouse: WarehouseResource) -> dg.MaterializeResult:
    s = warehouse.settings
    return dg.MaterializeResult(
        metadata={
            "landing": str(s.landing),
            "warehouse": str(s.warehouse),
            "output": str(s.output),
            "memory": s.memory_limit,
        }
    )


def test_a_launchpad_override_of_one_field_keeps_every_other_at_the_deployments_setting(tmp_path, monkeypatch):
    # issue 35: the deployment's variables, as the code location's process has them
    from dagster_project.resources import deployment_resources

    monkeypatch.setenv("CONTINUITY_LANDING", str(tmp_path / "in"))
    monkeypatch.setenv("CONTINUITY_WAREHOUSE", str(tmp_path / "w" / "c.duckdb"))
    monkeypatch.setenv("CONTINUITY_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("CONTINUITY_MEMORY_LIMIT", "3GB")
    probe_defs = dg.Definitions(assets=[settings_probe], resources=deployment_resources())
    job = probe_defs.resolve_implicit_global_asset_job_def()

    def launch(run_config):
        result = job.execute_in_process(run_config=run_config, instance=dg.DagsterInstance.ephemeral())
        [m] = result.get_asset_materialization_events()
        return {k: v.value for k, v in m.materialization.metadata.items()}

    # the launchpad sends the resource's config with only the field the user changed
    changed = launch({"resources": {"warehouse": {"config": {"memory_limit": "2GB"}}}})
    assert changed == {
        "landing": str(tmp_path / "in"),
        "warehouse": str(tmp_path / "w" / "c.duckdb"),
        "output": str(tmp_path / "out"),
        "memory": "2GB",
    }
    moved = launch({"resources": {"warehouse": {"config": {"warehouse": str(tmp_path / "w2" / "c.duckdb")}}}})
    assert (moved["landing"], moved["output"], moved["memory"]) == (str(tmp_path / "in"), str(tmp_path / "out"), "3GB")
    assert launch({})["warehouse"] == str(tmp_path / "w" / "c.duckdb")


_HOLDER = """
import sys, time
from pathlib import Path
{body}
print("up", flush=True)
time.sleep(60)
"""
_CLI_HOLDS = "from dagster_project.commands import locked\nlock = locked(Path(sys.argv[1])); lock.__enter__()"
_UI_RUN_HOLDS = """
import sys, time
import dagster as dg
from dagster_project.resources import WarehouseResource
@dg.op
def wait(warehouse: WarehouseResource):
    print("up", flush=True)
    time.sleep(60)
@dg.job
def ui_job():
    wait()
ui_job.execute_in_process(resources={"warehouse": WarehouseResource(warehouse=sys.argv[1])})
"""


def _holding(code: str, warehouse: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", code, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "up"
    return child


def test_a_cli_run_is_refused_at_once_while_a_ui_run_holds_the_warehouse(tmp_path, capsys):
    from dagster_project.cli import main

    warehouse = tmp_path / "w" / "c.duckdb"
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    child = _holding(_UI_RUN_HOLDS, warehouse)
    try:
        started = time.monotonic()
        code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(warehouse)])
        err = capsys.readouterr().err
    finally:
        child.kill()
        child.wait()
    assert code == 1 and time.monotonic() - started < 10
    assert f"continuity: error: another run is using {warehouse} (pid {child.pid}, run " in err
    assert ", started at 20" in err
    assert not warehouse.exists()  # nothing loaded


def test_a_ui_run_is_refused_at_once_while_a_cli_run_holds_the_warehouse(tmp_path):
    warehouse = tmp_path / "w" / "c.duckdb"
    child = _holding(_HOLDER.format(body=_CLI_HOLDS), warehouse)
    try:
        result = dg.materialize(
            [INGEST_ASSETS[0]],
            resources={"warehouse": WarehouseResource(landing=str(tmp_path), warehouse=str(warehouse))},
            raise_on_error=False,
            instance=dg.DagsterInstance.ephemeral(),
        )
    finally:
        child.kill()
        child.wait()
    from dagster_project.diagnosis import failure_reason

    assert not result.success
    assert f"another run is using {warehouse} (pid {child.pid}, continuity command, started at" in failure_reason(
        result.all_events
    )
    assert not [e for e in result.all_events if e.event_type_value == "STEP_START"]  # before it loads anything
    assert not warehouse.exists()


def test_importing_the_definitions_changes_no_environment_and_parses_nothing():
    manifest = Path(__file__).parent.parent / "target" / "manifest.json"
    before = manifest.stat().st_mtime_ns
    code = (
        "import os; before = dict(os.environ); import dagster_project.definitions; "
        "print(sorted(k for k in set(os.environ) ^ set(before) if k.startswith(('CONTINUITY_', 'DO_NOT', 'GX_'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTINUITY_", "DO_NOT_TRACK", "GX_"))}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert manifest.stat().st_mtime_ns == before


def test_a_missing_landing_folder_is_said_plainly(tmp_path):
    missing = tmp_path / "no-such-folder"
    warehouse = WarehouseResource(landing=str(missing), warehouse=str(tmp_path / "w.duckdb"))
    result = dg.materialize(
        [INGEST_ASSETS[0]],
        resources={"warehouse": warehouse},
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
    )
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"The landing folder {missing} does not exist")
    assert "key" not in message


def test_every_run_uses_one_process_and_the_marts_have_a_quarterly_freshness_policy():
    assert defs.executor is dg.in_process_executor
    graph = defs.resolve_asset_graph()
    policy = graph.get(dg.AssetKey("phof_c20")).freshness_policy
    assert (policy.deadline_cron, policy.timezone) == ("0 18 15 2,5,8,11 *", "Europe/London")
    assert graph.get(dg.AssetKey("stg_ndtms__secure_episodes")).freshness_policy is None


def test_the_catalogue_is_readable():
    graph = defs.resolve_asset_graph()
    imd = graph.get(dg.AssetKey("imd")).description
    assert imd.startswith("Index of Multiple Deprivation decile per LSOA") and "Raw SQL" not in imd
    # a placeholder in angle brackets survives Markdown (in a code span)
    assert "`ndtms_secure_<YYYYMMDD>.csv`" in graph.get(dg.AssetKey(["raw", "ndtms_secure"])).description
    # raw.loaded_files is declared, written by the ingestion assets, and upstream of int_extract_dates
    assert graph.get(dg.AssetKey("int_extract_dates")).parent_keys == {dg.AssetKey(["raw", "loaded_files"])}
    assert dg.AssetKey(["raw", "ndtms_secure"]) in graph.get(dg.AssetKey(["raw", "loaded_files"])).parent_keys
    assert graph.get(dg.AssetKey(["raw", "loaded_files"])).is_materializable  # a step of its own, not a stub
    # every seed says what it is (no fallback text)
    seeds = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "reference"]
    assert len(seeds) >= 13 and all("no description" not in graph.get(k).description for k in seeds)
    # the singular test that reads two marts is a check on the funnel
    checks = {k.name: k.asset_key.to_user_string() for k in graph.asset_check_keys}
    assert checks["assert_funnel_agrees_with_comparison"] == "phof_c20_funnel"
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).description, key


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


def test_the_catalogue_shows_rows_and_each_columns_type_and_description_together():
    import duckdb

    from dagster_project.catalogue import describe

    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.phof_c20 (geography_code varchar, numerator integer)")
    con.execute("insert into marts.phof_c20 values ('E92000001', 5), ('E12000003', 2)")
    meta = describe(con, "marts", "phof_c20")
    assert meta["dagster/row_count"].value == 2
    columns = meta["dagster/column_schema"].value.columns
    assert [(c.name, c.type) for c in columns] == [("geography_code", "VARCHAR"), ("numerator", "INTEGER")]
    assert all(c.description for c in columns)  # from the dbt YAML: one description per column name
