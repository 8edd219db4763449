"""Running a suite: each result is tied to its own expectation, blocking vs warning, examples."""

import duckdb

from pipelines.validation import resolve, run_suite


def test_results_are_labelled_and_classified():
    con = duckdb.connect()
    con.execute("create table t as select * from (values (1, 2, 'x'), (5, 3, null), (9, 1, null)) v(a, b, c)")
    suite = {
        "name": "t",
        "asset": "t",
        "batches": [
            {
                "sql": "select * from t",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "a", "min_value": 0, "max_value": 10},
                    },
                    {
                        "type": "expect_column_pair_values_a_to_be_greater_than_b",
                        "kwargs": {"column_A": "b", "column_B": "a", "or_equal": True},
                    },
                    {
                        "type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "c", "mostly": 0.9},
                        "blocking": False,
                    },
                    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "c", "value_set": ["x"]}},
                ],
            }
        ],
    }
    result = run_suite(con, suite)
    # a in 0-10: pass. b >= a: rows (2,1) ok, (3,5) and (1,9) fail -> 2 unexpected.
    # c not null: 1 of 3 = 33% < 90% -> the warning fails. c in {x}: nulls ignored -> pass.
    assert [(r.type, r.column, r.blocking, r.success, r.unexpected_count) for r in result.results] == [
        ("expect_column_values_to_be_between", "a", True, True, 0),
        ("expect_column_pair_values_a_to_be_greater_than_b", "b,a", True, False, 2),
        ("expect_column_values_to_not_be_null", "c", False, False, 2),
        ("expect_column_values_to_be_in_set", "c", True, True, 0),
    ]
    assert result.passed is False
    assert [r.column for r in result.blocking_failures] == ["b,a"]
    assert result.blocking_failures[0].examples == [[3, 5], [1, 9]]
    assert "BLOCKING expect_column_pair_values_a_to_be_greater_than_b(b,a) failed: 2 unexpected" in result.summary()


def test_seed_placeholders_resolve_to_the_seed_values():
    assert resolve({"value_set": {"$seed": "modalities.modality_code"}}) == {
        "value_set": ["01", "02", "03", "04", "05", "06", "07"]
    }
    assert resolve({"n": {"$seed_count": "local_authorities"}}) == {"n": 152}


def test_identifying_values_never_reach_a_report_only_their_file_and_line(tmp_path):
    # a DOB after the reception date fails; its value must not be an example, the row's
    # source file and line are (indicators.md s.6)
    from pipelines.validation import write_report

    con = duckdb.connect()
    con.execute(
        "create table s as select * from (values (date '1990-05-17', date '2023-01-10', 'f_20230630.csv', 4), "
        "(date '2024-02-29', date '2023-01-10', 'f_20230630.csv', 7)) v(date_of_birth, reception_date, "
        "source_file, line_number)"
    )
    suite = {
        "name": "s",
        "asset": "s",
        "batches": [
            {
                "sql": "select * from s",
                "expectations": [
                    {
                        "type": "expect_column_pair_values_a_to_be_greater_than_b",
                        "kwargs": {"column_A": "reception_date", "column_B": "date_of_birth"},
                    },
                    {"type": "expect_column_values_to_be_null", "kwargs": {"column": "date_of_birth"}},
                ],
            }
        ],
    }
    result = run_suite(con, suite)
    assert result.results[0].examples == ["f_20230630.csv line 7"]
    assert result.results[1].examples == ["f_20230630.csv line 4", "f_20230630.csv line 7"]
    _, html = write_report([result], tmp_path, "t", expected=1)
    assert "2024-02-29" not in html.read_text() and "1990-05-17" not in html.read_text()
    assert "2024-02-29" not in result.summary()


def test_a_report_of_a_run_killed_half_way_never_says_passed(tmp_path):
    import json

    from pipelines.validation import SuiteResult, write_report

    passing = SuiteResult("a", "a", "", [])
    json_path, html = write_report([passing, passing], tmp_path, "t", expected=15)
    report = json.loads(json_path.read_text())
    assert report["passed"] is False and report["complete"] is False
    assert "Incomplete: 2 of 15 suites ran." in html.read_text()
    json_path, html = write_report([passing] * 15, tmp_path, "t", expected=15)
    assert json.loads(json_path.read_text())["passed"] is True


def _run_results(target, run_id: str, results: list[tuple[str, str, int]]):
    """A dbt run_results.json where dagster-dbt puts it: target/<op>-<run id[:7]>-<nonce>/."""
    import json

    folder = target / f"continuity_dbt_assets-{run_id[:7]}-abc1234"
    folder.mkdir(parents=True)
    rows = [
        {"unique_id": uid, "status": status, "failures": failures, "message": None} for uid, status, failures in results
    ]
    (folder / "run_results.json").write_text(json.dumps({"results": rows}))


def test_the_report_is_dated_and_counts_suites_expectations_and_dbt_tests(tmp_path):
    import json

    from pipelines.validation import ExpectationResult, SuiteResult, dbt_test_results, write_report

    run_id = "a911421a-d957-4e61-8f2d-458d7a0ec186"
    _run_results(
        tmp_path / "target",
        run_id,
        [
            ("test.continuity.not_null_stg_ndelius__cases_crn.1a", "pass", 0),
            ("test.continuity.unique_stg_er__contacts_contact_id.2b", "warn", 3),
            ("test.continuity.assert_type_double_is_eight_bytes", "fail", 1),
            ("model.continuity.phof_c20", "success", None),  # not a test: left out
        ],
    )
    _run_results(tmp_path / "target", "ffffffff-other-run", [("test.continuity.x.1", "fail", 9)])  # another run
    dbt = dbt_test_results(run_id, tmp_path / "target")
    assert [(t.name, t.state) for t in dbt] == [
        ("assert_type_double_is_eight_bytes", "failed"),
        ("not_null_stg_ndelius__cases_crn", "passed"),
        ("unique_stg_er__contacts_contact_id", "warned"),
    ]
    met, unmet_warning, unmet_blocking = (
        ExpectationResult("e", "c", True, True),
        ExpectationResult("e", "c", False, False),
        ExpectationResult("e", "c", True, False),
    )
    suites = [
        SuiteResult("clean", "a", "", [met, met]),  # passed
        SuiteResult("noted", "b", "", [met, unmet_warning]),  # passed with a warning: warned
        SuiteResult("broken", "c", "", [unmet_blocking]),  # failed
    ]
    json_path, html_path = write_report(suites, tmp_path / "run", "t", expected=3, dbt_tests=dbt)
    report = json.loads(json_path.read_text())
    # suites 1 / 1 / 1; expectations: 3 met, 1 unmet warning, 1 unmet blocking; dbt 1 / 1 / 1
    assert report["summary"] == {
        "suites": {"passed": 1, "warned": 1, "failed": 1},
        "expectations": {"passed": 3, "warned": 1, "failed": 1},
        "dbt tests": {"passed": 1, "warned": 1, "failed": 1},
    }
    assert report["passed"] is False
    assert report["produced"].endswith("UTC") and report["produced"][:2] == "20"
    page = html_path.read_text()
    assert f"Produced {report['produced']}." in page
    assert "<td>assert_type_double_is_eight_bytes</td><td>fail</td><td>1</td>" in page


def test_old_run_folders_are_pruned_keeping_the_newest_and_latest(tmp_path):
    import os

    from pipelines.validation import prune_reports

    validation = tmp_path / "validation"
    for age, name in enumerate(["run5", "run4", "run3", "run2", "run1"]):  # run1 oldest (age 4)
        (validation / name).mkdir(parents=True)
        os.utime(validation / name, (1_000_000 - age, 1_000_000 - age))
    (validation / "latest").mkdir()
    os.utime(validation / "latest", (1, 1))  # older than every run: kept all the same
    # keep 3 with run1 (the oldest) as the current run: run1 + the 2 newest others (run5, run4)
    deleted = prune_reports(validation, keep=3, current=validation / "run1")
    assert sorted(p.name for p in deleted) == ["run2", "run3"]
    assert sorted(p.name for p in validation.iterdir()) == ["latest", "run1", "run4", "run5"]
