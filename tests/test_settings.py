"""One settings object (issue 37): the only reader of the environment, every variable once
with its default and doc, read when a run starts, and no import running back up a layer."""

import ast
import re
from pathlib import Path

from pipelines.contract import PROJECT_DIR
from pipelines.settings import Settings, markdown


def test_docs_list_every_variable_once_as_the_settings_object_says():
    assert (PROJECT_DIR / "docs" / "settings.md").read_text() == markdown()
    variables = re.findall(r"^\| `([A-Z_]+)` \|", markdown(), re.MULTILINE)
    assert len(variables) == len(set(variables)) >= 20
    assert {"CONTINUITY_PSEUDO_KEY", "CONTINUITY_ALERT_ATTEMPTS", "CONTINUITY_MAX_FILE_BYTES", "UI_PORT"} <= set(
        variables
    )


def test_every_variable_the_code_names_is_a_setting():
    # a CONTINUITY_* name anywhere in the runtime, profiles.yml or the Makefile is a field of the object
    named = set()
    for path in [*PROJECT_DIR.glob("pipelines/**/*.py"), *PROJECT_DIR.glob("dagster_project/**/*.py")]:
        named |= set(re.findall(r"CONTINUITY_[A-Z_]+[A-Z]", path.read_text()))
    named |= set(re.findall(r"CONTINUITY_[A-Z_]+[A-Z]", (PROJECT_DIR / "Makefile").read_text()))
    named -= {"CONTINUITY_ALERT", "CONTINUITY_SMTP", "CONTINUITY_SPARK"}  # prose: CONTINUITY_ALERT_*, ...
    documented = set(re.findall(r"`(CONTINUITY_[A-Z_]+)`", markdown()))
    assert named - documented == set()


def test_only_the_settings_object_reads_the_environment():
    readers = []
    for path in [*PROJECT_DIR.glob("pipelines/**/*.py"), *PROJECT_DIR.glob("dagster_project/**/*.py")]:
        for line in path.read_text().splitlines():
            if re.search(r"os\.environ|os\.getenv|getenv\(", line):
                readers.append(str(path.relative_to(PROJECT_DIR)))
    assert set(readers) == {"pipelines/settings.py"}


def test_no_module_of_pipelines_imports_dagster_project():
    upward = []
    for path in PROJECT_DIR.glob("pipelines/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            upward += [f"{path.relative_to(PROJECT_DIR)}: {n}" for n in names if n.startswith("dagster_project")]
    assert upward == []


def test_values_come_from_the_environment_given_and_overrides_win():
    env = {"CONTINUITY_WAREHOUSE": "/srv/w/c.duckdb", "CONTINUITY_VALIDATION_KEEP": "3", "CONTINUITY_SPARK_MIRROR": "0"}
    settings = Settings.from_env(env)
    assert (settings.warehouse, settings.output) == (Path("/srv/w/c.duckdb"), Path("/srv/w"))
    assert (settings.validation_keep, settings.spark_mirror, settings.memory_limit) == (3, False, "2GB")
    moved = Settings.from_env(env, warehouse="/data/x.duckdb", memory_limit="")  # empty: not given
    assert (moved.output, moved.memory_limit) == (Path("/data"), "2GB")  # the output follows the warehouse
    assert Settings.from_env({"UI_PORT": "3111"}).ui_link == "http://127.0.0.1:3111"
    assert settings.dbt_vars() == {
        "continuity_warehouse": "/srv/w/c.duckdb",
        "continuity_memory_limit": "2GB",
        "continuity_spark_threads": 2,
        "continuity_spark_host": "127.0.0.1",
        "continuity_spark_port": 10000,
        "continuity_spark_user": "continuity",
        "continuity_spark_auth": "NONE",
        "continuity_spark_schema": "continuity",
    }


def test_the_loader_writes_a_lake_only_for_the_cluster_target():
    # the cluster reads the raw rows as Parquet (pipelines/lake.py); the other engines read DuckDB's raw schema
    env = {"CONTINUITY_WAREHOUSE": "/srv/w/c.duckdb"}
    assert Settings.from_env(env).raw_lake is None
    assert Settings.from_env(env, dbt_target="spark").raw_lake is None
    assert Settings.from_env(env, dbt_target="spark_thrift").raw_lake == Path("/srv/w/lake")
    assert Settings.from_env({**env, "CONTINUITY_LAKE": "/mnt/lake"}, dbt_target="spark_thrift").raw_lake == Path(
        "/mnt/lake"
    )
