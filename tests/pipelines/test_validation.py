"""Running a suite: each result is tied to its own expectation, blocking vs warning, examples."""

import importlib.util
import subprocess
import sys

import duckdb
import pytest

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


def test_a_weighted_batch_counts_the_table_rows_behind_each_unexpected_value():
    # 6 rows, 3 distinct codes: the frame has 3 rows, but an unmet expectation reports the
    # rows of the table: code 'Z' is on 2 rows and 'Y' on 1 -> 3 unexpected, examples Y and Z
    con = duckdb.connect()
    con.execute("create table t as select * from (values ('A'), ('A'), ('A'), ('Z'), ('Z'), ('Y')) v(code)")
    suite = {
        "name": "t",
        "asset": "t",
        "batches": [
            {
                "sql": "select code, count(*) as row_count from t group by code order by code",
                "weight": "row_count",
                "expectations": [
                    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "code", "value_set": ["A"]}},
                    {
                        "type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": "code", "value_set": ["A", "Y", "Z"]},
                    },
                ],
            }
        ],
    }
    result = run_suite(con, suite)
    assert [(r.success, r.unexpected_count, r.examples) for r in result.results] == [
        (False, 3, ["Y", "Z"]),
        (True, 0, []),
    ]


def test_an_unmet_count_takes_its_number_and_file_and_line_from_the_offending_query():
    # two rows end before they start (lines 3 and 8); the batch is one row of counts
    con = duckdb.connect()
    con.execute(
        "create table s as select * from (values (date '2024-01-01', date '2024-01-05', 'f.csv', 2), "
        "(date '2024-01-09', date '2024-01-02', 'f.csv', 3), (date '2024-02-01', null, 'f.csv', 5), "
        "(date '2024-03-10', date '2024-03-01', 'f.csv', 8)) v(start_date, end_date, source_file, line_number)"
    )
    rule = "end_date < start_date"
    suite = {
        "name": "s",
        "asset": "s",
        "batches": [
            {
                "sql": f"select count(*) filter (where {rule}) as ends_before_start from s",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "ends_before_start", "max_value": 0},
                        "offending": f"select source_file, line_number from s where {rule} order by line_number",
                    }
                ],
            }
        ],
    }
    [result] = run_suite(con, suite).results
    # the row with no end date is ignored (as GX ignores a pair with a missing value)
    assert (result.success, result.unexpected_count, result.examples) == (False, 2, ["f.csv line 3", "f.csv line 8"])


def test_offending_identifying_values_are_masked_when_there_is_no_lineage():
    from pipelines.validation import offending_rows

    con = duckdb.connect()
    con.execute("create table c as select * from (values ('X12'), ('A123456'), ('Q9')) v(crn)")
    count, examples = offending_rows(con, "select crn from c where not regexp_matches(crn, '^[A-Z][0-9]{6}$')")
    assert (count, examples) == (2, ["masked (identifying column)"] * 2)
    count, examples = offending_rows(con, "select length(crn) as n from c where length(crn) < 7 order by n")
    assert (count, examples) == (2, [2, 3])


def test_a_batch_that_copies_a_table_is_refused(monkeypatch):
    import pipelines.validation as validation

    monkeypatch.setattr(validation, "MAX_FRAME_ROWS", 10)
    con = duckdb.connect()
    con.execute("create table big as select range as id from range(11)")
    expectation = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}
    suite = {"name": "big", "asset": "big", "batches": [{"sql": "select id from big", "expectations": [expectation]}]}
    result = run_suite(con, suite)
    # 11 rows > 10: the suite fails without validating anything
    assert result.passed is False and result.results == []
    assert result.error.startswith("a batch returned more than 10 rows")
    aggregated = {**suite, "batches": [{"sql": "select count(*) as id from big", "expectations": [expectation]}]}
    assert run_suite(con, aggregated).passed is True


def test_the_report_names_its_date_and_verdict_gates_loads_and_every_why(tmp_path):
    import json
    from datetime import UTC, datetime

    from pipelines.validation import DbtTestResult, ExpectationResult, SuiteResult, load_summary, write_report

    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.loaded_files as select * from (values ('ndtms_secure', 'a.csv', date '2024-03-31', 10, 9, 1),"
        " ('ndtms_secure', 'b.csv', date '2024-06-30', 5, 5, 0)) v(extract, source_file, extract_date, rows_read, "
        "rows_loaded, rows_quarantined)"
    )
    con.execute("create table raw.rejected_files as select 'ndtms_secure' as extract, 'c.csv' as source_file")
    con.execute("create table raw.quarantine as select 'ndtms_secure' as extract, 'DOB: not a date' as reason")
    loads = load_summary(con)
    # two files, 15 rows read, 14 loaded, 1 quarantined, 1 rejected; latest extract date 2024-06-30
    assert loads["extracts"] == [{"extract": "ndtms_secure", "files": 2, "rows_read": 15, "rows_loaded": 14,
                                  "rows_quarantined": 1, "files_rejected": 1, "latest_extract_date": "2024-06-30"}]  # fmt: skip
    unmet = ExpectationResult("expect_column_values_to_be_in_set", "sex_code", False, False, 2, ["a.csv line 3", 7])
    gates = [
        {"gate": "c20_band", "passed": True, "accepted": False, "summary": "within 10-90%", "why": "plausible"},
        {"gate": "c20_change", "passed": False, "accepted": False, "summary": "moved 7 points", "why": "stable"},
    ]
    dbt = [DbtTestResult("unique_phof_c20_key", "pass", 0)]
    json_path, html_path = write_report([SuiteResult("s", "s", "", [unmet])], tmp_path, "Validation report",
                                        expected=1, dbt_tests=dbt, gates=gates, loads=loads)  # fmt: skip
    report = json.loads(json_path.read_text())
    today = datetime.now(UTC)
    # an unaccepted failing gate fails the run, and the title says so with the date
    assert report["title"] == f"Validation report, {today.day} {today:%B %Y}: failed" and report["passed"] is False
    assert report["summary"]["publication gates"] == {"passed": 1, "warned": 0, "failed": 1}
    page = html_path.read_text()
    assert f"<h1>{report['title']}</h1>" in page and "<main>" in page
    assert "a.csv line 3; 7" in page and "[" not in page.split("<td>a.csv line 3")[0][-10:]  # examples as text
    assert "1 publication gate(s) failed: nothing was published." in page
    assert "<th scope='row'>c20_change</th><td>FAIL</td><td>moved 7 points</td><td>stable</td>" in page
    assert "<td>DOB: not a date</td><td>1</td>" in page
    assert "A key seen twice would count" in page  # the dbt test's why
    assert "A code outside its list is wrong or unmapped" in page  # an expectation without its own why gets one
    assert page.count("<table") == page.count("<caption>") and "table-layout:fixed" in page


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="needs the Spark extra (CI installs it)")
def test_the_checks_do_not_import_pyspark_and_pyspark_still_imports_afterwards():
    # in a fresh interpreter: GX imported and a suite run, as a run's checks do
    code = (
        "import sys, duckdb; from pipelines.validation import run_suite; con = duckdb.connect(); "
        "con.execute('create table t as select 1 as a'); "
        "r = run_suite(con, {'name': 't', 'asset': 't', 'batches': [{'sql': 'select * from t', 'expectations': "
        "[{'type': 'expect_column_values_to_not_be_null', 'kwargs': {'column': 'a'}}]}]}); "
        "print(r.passed, 'great_expectations' in sys.modules, 'pyspark' in sys.modules); "
        "import pyspark.sql; print('pyspark', pyspark.__version__ > '')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["True True False", "pyspark True"]
