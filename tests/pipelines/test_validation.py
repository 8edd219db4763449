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
