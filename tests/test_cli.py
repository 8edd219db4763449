"""The CLI's own behaviour: arguments, the pseudonymisation-key rule, readable errors."""

import os

import pytest

from dagster_project.cli import main
from pipelines.contract import EXTRACTS_BY_NAME
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


KEY = "k" * 32  # the shortest key the policy accepts


def _synthetic_landing(path):
    """A landing folder with a generator marker listing its one file (as `generate` writes)."""
    from pipelines.pseudonymise import write_marker

    write_extract(path, "ndtms_secure", "2023-06-30", [secure_row(EPISODID="SYN1")])
    write_marker(path, {"generator": "continuity generate"})
    return path


def test_an_empty_marker_does_not_switch_the_development_key_on(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    (tmp_path / "landing" / "SYNTHETIC.json").touch()
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "no valid generator marker" in err and "CONTINUITY_PSEUDO_KEY" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_a_file_the_marker_does_not_list_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    landing = _synthetic_landing(tmp_path / "landing")
    write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="REAL1")])  # added by hand
    code = main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "ndtms_secure_20230930.csv is not a file the generator wrote" in err


def test_a_warehouse_that_held_real_data_never_runs_under_the_development_key(tmp_path, monkeypatch, capsys):
    # real extracts loaded (with a key) into the warehouse; then a run without the key on a
    # generated landing folder, into the same warehouse, would publish the real people's rows
    # under the public development key: refused before anything runs
    import duckdb

    from pipelines.load import load_extract

    warehouse = tmp_path / "w.duckdb"
    write_extract(tmp_path / "real", "ndtms_secure", "2023-06-30", [secure_row(EPISODID="REAL1")])
    con = duckdb.connect(str(warehouse))
    load_extract(con, tmp_path / "real", EXTRACTS_BY_NAME["ndtms_secure"])
    con.close()
    landing = _synthetic_landing(tmp_path / "landing")
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 1
    assert "has held 1 file(s) the generator did not write (e.g. ndtms_secure/ndtms_secure_20230630.csv)" in err


def test_the_development_key_is_allowed_on_a_synthetic_warehouse_and_recorded(tmp_path, monkeypatch):
    import duckdb

    from pipelines.pseudonymise import DEV_OK_ENV, check_key_policy

    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    monkeypatch.setenv(DEV_OK_ENV, "0")  # restored after the test: the policy sets it
    landing = _synthetic_landing(tmp_path / "landing")
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    assert check_key_policy(landing, warehouse).startswith("note: CONTINUITY_PSEUDO_KEY is not set")
    assert os.environ[DEV_OK_ENV] == "1"
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select source_file from raw.synthetic_files").fetchall() == [
        ("ndtms_secure/ndtms_secure_20230630.csv",)
    ]
    con.close()


@pytest.mark.parametrize("key", [" ", "a", "k" * 31, " " * 40])
def test_a_short_key_is_refused(tmp_path, monkeypatch, capsys, key):
    monkeypatch.setenv("CONTINUITY_PSEUDO_KEY", key)
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "CONTINUITY_PSEUDO_KEY is shorter than 32 characters" in err
    assert not (tmp_path / "w.duckdb").exists()


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


def test_report_never_writes_into_a_folder_holding_other_files(tmp_path, capsys):
    # a thesis in the folder given as --out stays; nothing is written there
    import duckdb

    published = tmp_path / "published"
    published.mkdir()
    duckdb.connect(str(published / "marts.duckdb")).close()
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"four years of work")
    code = main(["report", "--published", str(published), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{out} already holds files the pipeline did not write" in err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]
    assert (out / "thesis.docx").read_bytes() == b"four years of work"


def test_withdrawing_the_real_files_does_not_make_the_warehouse_synthetic(tmp_path, monkeypatch, capsys):
    # withdrawing a file takes it out of raw.loaded_files, not out of the warehouse's history
    import duckdb

    from pipelines.load import load_extract
    from pipelines.withdraw import withdraw

    warehouse = tmp_path / "w.duckdb"
    write_extract(tmp_path / "real", "ndtms_secure", "2023-06-30", [secure_row(EPISODID="REAL1")])
    con = duckdb.connect(str(warehouse))
    load_extract(con, tmp_path / "real", EXTRACTS_BY_NAME["ndtms_secure"])
    withdraw(con, "ndtms_secure/ndtms_secure_20230630.csv", "loaded by mistake", "tester")
    assert con.execute("select count(*) from raw.loaded_files").fetchall() == [(0,)]
    con.close()
    landing = _synthetic_landing(tmp_path / "landing")
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    assert code == 1
    assert "has held 1 file(s) the generator did not write" in capsys.readouterr().err
