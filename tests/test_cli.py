"""The CLI's own behaviour: arguments, the pseudonymisation-key rule, readable errors."""

import pytest

from dagster_project.cli import main
from tests.helpers import secure_row, write_extract


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
    from dagster_project.diagnosis import named_cause

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

    from dagster_project.summary import check_summary

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


# --- issue 28: the command line as an analyst's tool ---------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--verbose", "run"],
        ["run", "--verbose"],
        ["-v", "run", "--landing", "x"],
        ["run", "--landing", "x", "-v"],
    ],
)
def test_verbose_is_read_before_or_after_the_subcommand(argv):
    from dagster_project.cli import parse_args

    args = parse_args(argv)
    assert (args.verbose, args.quiet) == (True, False)


@pytest.mark.parametrize("argv", [["--quiet", "run"], ["run", "--quiet"], ["-q", "generate", "--out", "x"]])
def test_quiet_is_read_before_or_after_the_subcommand(argv):
    from dagster_project.cli import parse_args

    args = parse_args(argv)
    assert (args.verbose, args.quiet) == (False, True)


def test_neither_flag_means_the_stage_lines_and_both_is_a_usage_error(capsys):
    from dagster_project.cli import parse_args

    args = parse_args(["run"])
    assert (args.verbose, args.quiet) == (False, False)
    with pytest.raises(SystemExit) as raised:
        parse_args(["--verbose", "run", "--quiet"])
    assert raised.value.code == 2  # exit code 2: the command line itself is wrong
    assert "--verbose and --quiet cannot be used together" in capsys.readouterr().err


def test_every_option_says_what_it_does_and_its_default():
    from dagster_project.cli import HelpFormatter, build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    for name, command in sub.choices.items():
        formatter = HelpFormatter(name)
        for action in command._actions:
            if not action.option_strings or action.dest == "help":
                continue
            text = formatter._get_help_string(action)
            assert len(text.split()) >= 3, f"{name} {action.option_strings[0]}: no sentence"
            assert "default" in text or "required" in text, f"{name} {action.option_strings[0]}: no default"


def test_help_shows_defaults_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "random seed: the same seed writes the same files (default: 2016)" in out
    assert "(default: 1.0)" in out and "(default: 5)" in out and "(default: 0.0)" in out
    assert "exit codes: 0 done (run: published) 1 run: not published" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "2 the command line itself is wrong" in out and "--quiet" in out


def _check(name: str, passed: bool, severity: str = "ERROR", summary: str | None = None):
    """An asset check evaluation as the CLI reads it from the Dagster result."""
    from types import SimpleNamespace

    metadata = {"summary": SimpleNamespace(value=summary)} if summary else {"status": SimpleNamespace(value="fail")}
    return SimpleNamespace(
        check_name=name,
        passed=passed,
        severity=SimpleNamespace(value=severity),
        asset_key=SimpleNamespace(to_user_string=lambda: "phof_c20"),
        metadata=metadata,
    )


def _settings_for(tmp_path):
    from pipelines.settings import Settings

    return Settings(tmp_path / "landing", tmp_path / "wh" / "c.duckdb", tmp_path / "wh")


def test_the_verdict_of_a_published_run_counts_each_kind_of_check(tmp_path):
    from dagster_project.summary import describe_publication

    checks = [
        _check("gx_ndtms_secure", True, summary="ndtms_secure: 12 of 12 expectations met"),
        _check("gx_ndelius_oasys", False, "WARN", summary="ndelius_oasys: 5 of 6 expectations met"),
        _check("gate_c20_band", True, summary="ok"),
        _check("not_null_stg_ndelius__cases_crn", True),
        _check("unique_stg_er__contacts_contact_id", True),
    ]
    lines = describe_publication(_settings_for(tmp_path), True, checks)
    wh = tmp_path / "wh"
    # 5 checks: 4 passed, 1 warned (the oasys suite, severity WARN), 0 failed; by kind: 2 suites
    # (1 passed, 1 warned), 1 gate (passed), 2 dbt tests (passed)
    assert lines[:2] == [
        "Verdict: published. Every blocking check passed; no publication gate accepted.",
        "Checks: 5 run, 4 passed, 1 warned, 0 failed (2 Great Expectations suites: 1 passed, 1 warned; "
        "1 publication gate: 1 passed; 2 dbt tests: 2 passed)",
    ]
    assert "  Validation warning gx_ndelius_oasys on phof_c20: ndelius_oasys: 5 of 6 expectations met" in lines
    assert f"Published: {wh / 'published'} (marts.duckdb, parquet/, notes.json, validation.html)" in lines
    assert f"Restricted (record level, owner only, not for release): {wh / 'restricted'}" in lines
    assert any(line.startswith(f"Partner (data-sharing agreements, owner only): {wh / 'partner'} (") for line in lines)
    assert lines[-1] == (
        f"Validation report: {wh / 'validation' / 'latest' / 'validation.html'}; warehouse: {wh / 'c.duckdb'}; "
        f"log: {wh / 'logs' / 'last-run.log'}"
    )
    assert not any("_gx_" in line for line in lines)  # no doubled step names (audit_attrition_gx_audit_attrition)


def test_the_verdict_of_a_blocked_run_says_why(tmp_path):
    from dagster_project.summary import describe_publication

    checks = [
        _check("gate_extracts_current", False, summary="ndtms_community has no current rows"),
        _check("gate_c20_change", False, "WARN", summary="accepted by ann (re-send): moved 6 points"),
        _check("not_null_stg_ndelius__cases_crn", False),
    ]
    lines = describe_publication(_settings_for(tmp_path), False, checks)
    # 2 blocking (severity ERROR) failures: the extracts_current gate and the dbt test
    assert lines[0] == "Verdict: not published. 2 blocking check(s) failed."
    assert lines[1].startswith("Checks: 3 run, 0 passed, 1 warned, 2 failed")
    assert "Not published: the previous publication is unchanged." in lines
    assert "  1 dbt test(s) failed: not_null_stg_ndelius__cases_crn" in lines
    assert "  publication gate extracts_current blocks: ndtms_community has no current rows" in lines


def test_control_characters_in_data_never_reach_the_terminal(capsys):
    from dagster_project.summary import say
    from dagster_project.terminal import plain, printable

    # a quarantine reason holding a value with an escape sequence (clear screen) and a bell
    say(["    f.csv line 3: SEX '\x1b[2J\x07' is not in the code list"])
    out = capsys.readouterr().out
    assert out == "    f.csv line 3: SEX '\\x1b[2J\\x07' is not in the code list\n"
    assert "\x1b" not in out
    assert printable("caf\u00e9\ttab") == "caf\u00e9\ttab"  # letters and tabs stay as they are
    assert plain("\x1b[32mINFO\x1b[0m ok\r") == "INFO ok\\x0d"  # colour codes go from the log


def test_a_file_name_with_an_escape_sequence_is_shown_escaped_in_an_error(tmp_path, capsys):
    import duckdb

    from pipelines.load import ensure_raw_schema

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_schema(con)
    con.close()
    code = main(["withdraw", "evil\x1b]0;pwned\x07.csv", "--reason", "x", "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    assert "evil\\x1b]0;pwned\\x07.csv is not a loaded file" in err


def test_the_log_is_written_plain_in_verbose_mode_too(tmp_path, capsys):
    import sys

    from dagster_project.progress import run_output

    with run_output(tmp_path / "logs", "verbose"):
        print("\x1b[34m2026-12-02 - dagster - INFO - step ok\x1b[0m")
        print("Running with dbt=1.11", file=sys.stderr)
    log = (tmp_path / "logs" / "last-run.log").read_text()
    assert log == "2026-12-02 - dagster - INFO - step ok\nRunning with dbt=1.11\n"
    with run_output(tmp_path / "logs", "quiet"):
        print("dbt output")
    assert (tmp_path / "logs" / "last-run.log").read_text() == "dbt output\n"


def _file7(path, rows):
    from pipelines.imd import DECILE_COLUMN, LSOA_COLUMN

    path.write_text(f'"{LSOA_COLUMN}",LSOA name (2011),"{DECILE_COLUMN}"\n' + "".join(r + "\n" for r in rows))
    return path


def test_imd_refuses_a_partial_file_and_never_touches_the_source_tree(tmp_path, capsys):
    from pipelines.contract import SEEDS_DIR

    seed = (SEEDS_DIR / "imd.csv").read_bytes()
    file7 = _file7(tmp_path / "f7.csv", ["E01000001,City 001A,9", "E01000002,City 001B,10"])
    code = main(["imd", "--file7", str(file7), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 LSOAs, but IoD2019 ranks all 32,844 English LSOAs 2011" in err
    assert (SEEDS_DIR / "imd.csv").read_bytes() == seed


def test_imd_loads_a_whole_file_into_the_warehouse_reference_data(tmp_path, capsys):
    import duckdb

    from pipelines.contract import SEEDS_DIR

    seed = (SEEDS_DIR / "imd.csv").read_bytes()
    # 32,844 English LSOAs, decile 1 for every one
    file7 = _file7(tmp_path / "f7.csv", [f"E01{i:06d},Area,1" for i in range(1, 32_845)])
    assert main(["imd", "--file7", str(file7), "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    assert "Checked and loaded 32,844 LSOAs" in capsys.readouterr().out
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select count(*), max(imd_decile) from reference.imd_file7").fetchall() == [(32_844, 1)]
    con.close()
    assert (SEEDS_DIR / "imd.csv").read_bytes() == seed
    assert main(["imd", "--file7", str(file7), "--out", str(tmp_path / "imd.csv")]) == 0
    assert len((tmp_path / "imd.csv").read_text().splitlines()) == 1 + 32_844


def test_the_verdict_names_an_accepted_gate_and_where_it_is_recorded(tmp_path):
    from dagster_project.summary import describe_publication

    # an accepted gate is a failed check with severity WARN (assets/gates.py): not a warning line
    checks = [
        _check("gate_extracts_current", False, "WARN", summary="accepted by ann (re-send awaited): no file"),
        _check("gx_ndtms_secure", True, summary="ndtms_secure: 12 of 12 expectations met"),
    ]
    lines = describe_publication(_settings_for(tmp_path), True, checks)
    assert lines[0] == "Verdict: published. Every blocking check passed; 1 publication gate(s) accepted."
    assert (
        f"Accepted publication gate(s) extracts_current: listed in {tmp_path / 'wh' / 'published' / 'notes.json'}"
    ) in lines
    assert not any(line.startswith("  Validation warning") for line in lines)


def test_accepted_gates_are_the_runs_own_configuration():
    from dagster_project.cli import parse_args
    from dagster_project.commands import run_choices
    from dagster_project.resources import RunChoices
    from pipelines.gates import override_for

    choices = run_choices(parse_args(["run", "--accept", "gate_c20_band", "--reason", " checked by hand "]))
    [accepted] = choices.accepted()
    assert (accepted["gate"], accepted["reason"]) == ("c20_band", "checked by hand")
    assert override_for("c20_band", choices.accepted()) == accepted and override_for("c20_change", []) is None
    assert RunChoices().accepted() == []  # a later run accepts nothing unless told


def test_verbose_shows_the_stage_lines_and_the_log_without_colour_codes(tmp_path, capfd):
    # README: --verbose shows Dagster's and dbt's full log as well as the stage lines
    from dagster_project.progress import run_output

    with run_output(tmp_path / "logs", "verbose") as loggers:
        print("\x1b[32m12:00:01  1 of 70 OK created sql table model marts.phof_c20\x1b[0m")
    terminal = capfd.readouterr().err
    assert "progress" in loggers and "console" in loggers
    assert terminal == "12:00:01  1 of 70 OK created sql table model marts.phof_c20\n"  # no \x1b, raw or escaped
    assert "\x1b" not in (tmp_path / "logs" / "last-run.log").read_text()


def test_a_wrong_command_line_exits_2(capsys):
    # README and --help: exit code 2 for a wrong command line, --accept without its --reason too
    for argv in (["run", "--accept", "c20_band"], ["run", "--accept", "no_such_gate", "--reason", "x"], ["nope"]):
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == 2, argv
    assert "each --accept GATE needs its own --reason TEXT" in capsys.readouterr().err
