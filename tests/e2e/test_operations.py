"""What an operator sees of a run, in-process on the tiny landing of test_run: dbt assets carry
row counts and column types, passing checks are not WARN, every dbt test is a check (no
"not an asset check" warning), and target/ keeps only the last few dbt run folders."""

import os

import duckdb
import pytest

from dagster_project.assets.dbt import (
    KEEP_PARSE_STATES,
    keep_partial_parse,
    parse_state_key,
    prune_target_runs,
    restore_partial_parse,
)
from dagster_project.assets.validation import check_result
from dagster_project.commands import run_pipeline
from dagster_project.resources import AcceptedGate, RunChoices
from pipelines.settings import Settings
from pipelines.validation import ExpectationResult, SuiteResult
from tests.e2e.test_run import build_landing


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    root = tmp_path_factory.mktemp("ops")
    build_landing(root / "landing")
    settings = Settings(root / "landing", root / "wh" / "c.duckdb", root / "wh")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONTINUITY_PSEUDO_KEY", "test-key-not-secret-but-32-characters-long")
        mp.delenv("CONTINUITY_DEV_KEY_OK", raising=False)
        # test_run's landing of bad lines: its quarantine_share gate accepted, as an analyst would
        accepted = AcceptedGate(gate="quarantine_share", reason="a test landing of bad lines")
        result = run_pipeline(settings, choices=RunChoices(accept=[accepted]))
    return settings, result


def test_dbt_assets_carry_row_counts_and_column_types(outcome):
    settings, result = outcome
    assert result.success
    [c20] = [m.materialization for m in result.get_asset_materialization_events() if m.asset_key.path == ["phof_c20"]]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute("select count(*) from marts.phof_c20").fetchone()[0]
        value_type = con.execute(
            "select data_type from information_schema.columns where table_name = 'phof_c20' and column_name = 'value_pct'"
        ).fetchone()[0]
    finally:
        con.close()
    assert c20.metadata["dagster/row_count"].value == rows > 0
    columns = {c.name: c.type for c in c20.metadata["dagster/column_schema"].schema.columns}
    assert columns["value_pct"] == value_type == "DOUBLE"


def test_passing_checks_are_not_warnings_and_no_test_is_left_out(outcome):
    settings, result = outcome
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    # the tiny landing breaks no blocking check; non-blocking expectations (row counts of a
    # landing this small, dbt tests of severity warn) may warn, and a suite says where its report is
    failing = {c.check_name: (c.severity.value, c.description) for c in checks if not c.passed}
    for name, (severity, description) in failing.items():
        assert severity == "WARN", failing
        assert not name.startswith("gx_") or "Report: " in description, failing
    assert {c.severity.value for c in checks if c.passed} == {"ERROR"}
    assert len(checks) > 100
    log = (settings.output / "logs" / "last-run.log").read_text()
    assert "instead of an `AssetCheckResult`" not in log


def test_a_failed_suite_says_why_where_and_links_the_report(tmp_path):
    failing = ExpectationResult(
        "expect_column_values_to_not_be_null", "person_key", True, False, 2, ["row 3", "row 9"], "every release"
    )
    result = SuiteResult("releases", "continuity_releases", "", [failing])
    check = check_result(result, tmp_path / "validation.html")
    assert not check.passed and check.severity.value == "ERROR"
    assert check.description == (
        "BLOCKING expect_column_values_to_not_be_null on continuity_releases.person_key: 2 record(s), "
        f"e.g. ['row 3', 'row 9'] (every release). Report: {tmp_path / 'validation.html'}"
    )
    assert check.metadata["validation_report_url"].value == (tmp_path / "validation.html").as_uri()


def test_only_the_newest_dbt_run_folders_are_kept(tmp_path):
    import os

    for i in range(5):
        folder = tmp_path / f"continuity_dbt_assets-run{i}"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1000 + i, 1000 + i))
    (tmp_path / "manifest.json").write_text("{}")
    removed = prune_target_runs(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == [f"continuity_dbt_assets-run{i}" for i in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "continuity_dbt_assets-run3",
        "continuity_dbt_assets-run4",
        "manifest.json",
    ]


def test_a_builds_parse_state_becomes_the_projects_for_the_next_run(tmp_path):
    run = tmp_path / "continuity_dbt_assets-run1"
    run.mkdir()
    (tmp_path / "partial_parse.msgpack").write_bytes(b"parsed at install")
    (run / "partial_parse.msgpack").write_bytes(b"parsed by the run, with its vars")
    keep_partial_parse(run)
    assert (tmp_path / "partial_parse.msgpack").read_bytes() == b"parsed by the run, with its vars"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["continuity_dbt_assets-run1", "partial_parse.msgpack"]
    keep_partial_parse(tmp_path / "a run that wrote none")  # nothing to keep: the project's stays
    assert (tmp_path / "partial_parse.msgpack").read_bytes() == b"parsed by the run, with its vars"


def test_a_build_starts_from_the_parse_state_of_the_last_build_with_its_vars(tmp_path):
    one = parse_state_key({"continuity_warehouse": "/w/one.duckdb"}, "duckdb")
    other = parse_state_key({"continuity_warehouse": "/w/other.duckdb"}, "duckdb")
    assert one != other and one == parse_state_key({"continuity_warehouse": "/w/one.duckdb"}, "duckdb")
    assert one != parse_state_key({"continuity_warehouse": "/w/one.duckdb"}, "spark")
    first = tmp_path / "continuity_dbt_assets-run1"
    first.mkdir()
    (first / "partial_parse.msgpack").write_bytes(b"parsed for one")
    keep_partial_parse(first, one)
    between = tmp_path / "continuity_dbt_assets-run2"  # a build on another warehouse
    between.mkdir()
    (between / "partial_parse.msgpack").write_bytes(b"parsed for other")
    keep_partial_parse(between, other)
    assert (tmp_path / "partial_parse.msgpack").read_bytes() == b"parsed for other"
    # the next build on `one` finds one's state in its own folder, not the project's last
    again = tmp_path / "continuity_dbt_assets-run3"
    restore_partial_parse(again, one)
    assert (again / "partial_parse.msgpack").read_bytes() == b"parsed for one"
    # vars never built with: nothing put there (dagster-dbt then copies the project's)
    new = tmp_path / "continuity_dbt_assets-run4"
    restore_partial_parse(new, parse_state_key({"continuity_warehouse": "/w/new.duckdb"}, "duckdb"))
    assert not new.exists()
    # only the newest are kept
    many = tmp_path / "many"
    for i in range(KEEP_PARSE_STATES + 3):
        run = many / f"continuity_dbt_assets-run{i}"
        run.mkdir(parents=True)
        (run / "partial_parse.msgpack").write_bytes(b"x")
        keep_partial_parse(run, f"state{i:02d}")
        os.utime(many / "parse-states" / f"state{i:02d}.msgpack", (2000 + i, 2000 + i))
    kept = sorted(p.stem for p in (many / "parse-states").iterdir())
    assert kept == [f"state{i:02d}" for i in range(3, KEEP_PARSE_STATES + 3)]
