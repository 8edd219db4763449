"""The CLI's own behaviour: arguments, the pseudonymisation-key rule, readable errors."""

import pytest

from dagster_project.cli import main
from tests.helpers import secure_row, write_extract


def test_refuses_real_data_without_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("continuity: error: CONTINUITY_PSEUDO_KEY is not set")
    assert "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_landing_folder_is_one_readable_line(tmp_path, capsys):
    code = main(["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [f"continuity: error: landing folder {tmp_path / 'nope'} does not exist"]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "generate" in out


def test_a_disk_full_or_permission_failure_is_named_in_words():
    from dagster_project.cli import named_cause

    dbt_log = "12:00:01 Running\n12:00:02 IO Error: Could not write file: No space left on device\n12:00:03 Done"
    assert named_cause(dbt_log) == (
        "disk full: no space left on the device (12:00:02 IO Error: Could not write file: No space left on device)"
    )
    assert named_cause("PermissionError: [Errno 13] Permission denied: '/w/c.duckdb'") == (
        "permission denied (PermissionError: [Errno 13] Permission denied: '/w/c.duckdb')"
    )
    assert named_cause("65 of 134 ERROR creating sql table model") is None


def test_a_failing_dbt_test_is_summarised_by_name_and_count():
    import dagster as dg

    from dagster_project.cli import check_summary

    # the metadata dagster-dbt gives a failing dbt test (no `summary`: the CLI used to raise
    # KeyError: 'summary' here)
    check = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["stg_ndelius__cases"]),
        check_name="not_null_stg_ndelius__cases_crn",
        passed=False,
        metadata={"status": "fail", "dagster_dbt/failed_row_count": 2},
        severity=dg.AssetCheckSeverity.ERROR,
    )
    assert check_summary(check) == "dbt test not_null_stg_ndelius__cases_crn failed: 2 failing row(s)"


def test_withdraw_an_unknown_file_is_one_readable_line(tmp_path, capsys):
    import duckdb

    from pipelines.load import ensure_raw_schema

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_schema(con)
    con.close()
    code = main(["withdraw", "ndtms_secure_20990101.csv", "--reason", "x", "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "continuity: error: ndtms_secure_20990101.csv is not a loaded file (see raw.loaded_files)"
    )
