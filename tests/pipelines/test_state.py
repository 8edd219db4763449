"""Nothing new, nothing done (pipelines/state.py): which landing files a run would read, and
when the warehouse's state is the one the current publication was made from."""

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.load import ensure_raw_schema, sha256_of
from pipelines.state import (
    build_finished,
    build_started,
    code_digest,
    nothing_new,
    unseen_landing_files,
    warehouse_digest,
)

KEY = "a-test-key-that-is-at-least-32-characters"


@pytest.fixture
def world(tmp_path):
    landing = tmp_path / "landing"
    (landing / "ndtms_secure").mkdir(parents=True)
    first = landing / "ndtms_secure" / "ndtms_secure_20230630.csv"
    first.write_text("EPISODID\nS1\n")
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_raw_schema(con)
    con.execute(
        "insert into raw.loaded_files values ('ndtms_secure', 'ndtms_secure/ndtms_secure_20230630.csv', ?, "
        "date '2023-06-30', 1, 1, 0, now())",
        [sha256_of(first)],
    )
    return tmp_path, landing, warehouse, con


def publish_state(tmp_path: Path, con, finish_build: bool = True) -> None:
    """What a run does: build the models from the state (finished or killed), then publish."""
    folder = tmp_path / "published"
    folder.mkdir(exist_ok=True)
    state = warehouse_digest(con, "duckdb", KEY)
    build_started(con, state)
    if finish_build:
        build_finished(con)
    (folder / "notes.json").write_text(json.dumps({"published_at": "20261202T193121275983Z", "state": state}))


def test_loaded_files_are_seen_and_a_renamed_copy_or_new_file_is_not(world):
    _, landing, _, con = world
    assert unseen_landing_files(con, landing) == []
    copy = landing / "ndtms_secure" / "ndtms_secure_20230930.csv"
    copy.write_text("EPISODID\nS1\n")  # same content, new name: the loader records its date
    assert unseen_landing_files(con, landing) == ["ndtms_secure/ndtms_secure_20230930.csv"]
    copy.unlink()
    (landing / "ndtms_secure" / "ndtms_secure_20230630.csv").write_text("EPISODID\nS2\n")  # changed content
    assert unseen_landing_files(con, landing) == ["ndtms_secure/ndtms_secure_20230630.csv"]


def test_a_withdrawn_file_left_in_the_landing_folder_is_seen(world):
    _, landing, _, con = world
    extra = landing / "ndtms_secure" / "ndtms_secure_20230930.csv"
    extra.write_text("EPISODID\nS9\n")
    con.execute(
        "insert into raw.withdrawn_files values ('ndtms_secure', 'ndtms_secure/ndtms_secure_20230930.csv', ?, 1, "
        "'wrong', 'me', now(), null, null, null)",
        [sha256_of(extra)],
    )
    assert unseen_landing_files(con, landing) == []


def test_the_digest_follows_files_withdrawals_engine_and_key(world):
    _, _, _, con = world
    before = warehouse_digest(con, "duckdb", KEY)
    assert warehouse_digest(con, "duckdb", KEY) == before
    assert warehouse_digest(con, "spark", KEY) != before
    assert warehouse_digest(con, "duckdb", KEY + "x") != before
    con.execute(
        "insert into raw.withdrawn_files values ('ndtms_secure', 'ndtms_secure/ndtms_secure_20230630.csv', 'ab', 1, "
        "'wrong', 'me', now(), null, null, null)"
    )
    assert warehouse_digest(con, "duckdb", KEY) != before


def test_the_code_digest_follows_every_model_and_ignores_bytecode(tmp_path):
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    before = code_digest(tmp_path)
    (tmp_path / "models" / "__pycache__").mkdir()
    (tmp_path / "models" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert code_digest(tmp_path) == before
    model.write_text("select 2")
    assert code_digest(tmp_path) != before


def test_nothing_new_only_when_the_publication_was_made_from_this_state(world):
    tmp_path, landing, warehouse, con = world
    publish_state(tmp_path, con)
    con.close()
    unchanged = nothing_new(landing, warehouse, tmp_path, "duckdb", KEY)
    assert unchanged is not None and unchanged.published_at == "2026-12-02 19:31 UTC"
    assert nothing_new(landing, warehouse, tmp_path, "duckdb", "another-key-of-at-least-32-characters!!") is None
    (landing / "ndtms_secure" / "ndtms_secure_20231231.csv").write_text("EPISODID\nS3\n")
    assert nothing_new(landing, warehouse, tmp_path, "duckdb", KEY) is None


def test_no_publication_or_a_failed_last_run_means_run(world):
    tmp_path, landing, warehouse, con = world
    assert nothing_new(landing, warehouse, tmp_path, "duckdb", KEY) is None  # never published
    publish_state(tmp_path, con)
    # a later run loaded a file, then failed before publishing: the states differ
    con.execute(
        "insert into raw.loaded_files values ('ndtms_secure', 'ndtms_secure/ndtms_secure_20230930.csv', 'cd', "
        "date '2023-09-30', 1, 1, 0, now())"
    )
    con.close()
    assert nothing_new(landing, warehouse, tmp_path, "duckdb", KEY) is None


def test_a_build_killed_before_it_finished_means_run(world):
    # the same inputs published from another warehouse, this warehouse's dbt build killed:
    # its models match nothing, so the run must build them
    tmp_path, landing, warehouse, con = world
    publish_state(tmp_path, con, finish_build=False)
    con.close()
    assert nothing_new(landing, warehouse, tmp_path, "duckdb", KEY) is None
