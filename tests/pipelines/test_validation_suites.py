"""The suite files under expectations/: GX sees aggregates or small marts, never a full copy of
a large table, and the rewritten suites still catch bad rows, with counts and file and line."""

import re

import duckdb
import pytest

from pipelines.validation import load_suites, run_suite

SUITES = {s["name"]: s for s in load_suites()}
# tables that grow with the extracts (staging, and the record-level and prison x area marts)
LARGE = re.compile(r"\b(staging\.\w+|marts\.(continuity_releases|recording_issues|continuity_flows|audit_attrition))\b")
AGGREGATE = re.compile(r"\b(count|min|max|avg|sum)\s*\(")


@pytest.mark.parametrize("name", sorted(SUITES))
def test_every_batch_on_a_large_table_is_an_aggregate(name):
    for batch in SUITES[name]["batches"]:
        sql = batch["sql"].lower()
        if LARGE.search(sql):
            assert AGGREGATE.search(sql) and " over (" not in sql and "select *" not in sql, (name, sql)
            # a frame of distinct values is grouped and says how many rows each stands for
            assert ("group by" in sql) == ("weight" in batch), (name, sql)
            # key uniqueness is dbt's test (it needs every key)
            assert all(e["type"] != "expect_column_values_to_be_unique" for e in batch["expectations"]), name
    if SUITES[name]["asset"].startswith("stg_") or name == "continuity_releases":  # these had a GX uniqueness
        assert "uniqueness" in SUITES[name]["description"] and "dbt test" in SUITES[name]["description"], name


def _secure(con, rows):
    con.execute("create schema staging")
    con.execute("create schema reference")
    con.execute(
        "create table reference.discharge_reasons as select * from read_csv('seeds/discharge_reasons.csv', all_varchar=true)"
    )
    con.execute("alter table reference.discharge_reasons alter is_transfer_not_in_custody type boolean")
    con.execute(
        "create table staging.stg_ndtms__secure_episodes (episode_id varchar, date_of_birth date, reception_date date, "
        "prison_exit_date date, discharge_reason_code varchar, drug1_code varchar, sex_code varchar, exit_la_code varchar, "
        "extract_date date, source_file varchar, line_number integer)"
    )
    con.executemany("insert into staging.stg_ndtms__secure_episodes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def test_the_secure_suite_catches_a_bad_code_and_a_birth_after_reception_without_showing_the_date(tmp_path):
    con = duckdb.connect()
    good = ["S1", "1980-01-01", "2023-01-10", "2023-06-01", "83", "1011", "1", "E06000001", "2023-06-30", "f.csv", 2]
    _secure(
        con,
        [
            good,
            [*good[:4], "ZZ", *good[5:9], "f.csv", 3],  # an unknown discharge reason
            [*good[:4], "ZZ", *good[5:9], "f.csv", 4],  # the same unknown reason again
            ["S4", "2010-01-01", "2009-01-10", *good[3:9], "g.csv", 7],  # born after reception
        ],
    )
    result = run_suite(con, SUITES["ndtms_secure"])
    assert not result.error
    failing = {r.column: (r.unexpected_count, r.examples) for r in result.results if not r.success}
    # 2 rows carry 'ZZ' (the frame has one row for it); 1 row is received before it was born,
    # and its example is its file and line, never its date of birth
    assert failing == {"discharge_reason_code": (2, ["ZZ"]), "received_before_born": (1, ["g.csv line 7"])}
    assert "2010-01-01" not in result.summary()
    assert [r.column for r in result.blocking_failures] == ["discharge_reason_code", "received_before_born"]


def test_the_interventions_suite_catches_a_bad_modality_and_an_end_before_start():
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        "create table staging.stg_ndtms__interventions as select * from (values "
        "('I1', '01', date '2023-01-01', date '2023-02-01', date '2023-06-30', 'i.csv', 2), "
        "('I2', '99', date '2023-01-01', null, date '2023-06-30', 'i.csv', 3), "
        "('I3', '02', date '2023-03-01', date '2023-02-01', date '2023-06-30', 'i.csv', 4), "
        "('I4', '02', date '2023-07-01', null, date '2023-06-30', 'i.csv', 5)) "
        "v(intervention_id, modality_code, start_date, end_date, extract_date, source_file, line_number)"
    )
    result = run_suite(con, SUITES["ndtms_interventions"])
    failing = {r.column: (r.unexpected_count, r.examples) for r in result.results if not r.success}
    # modality 99 is not in the seed (1 row); I3 ends before it starts (line 4); I4 starts after
    # its extract date (line 5); I2's missing end date is not a failure
    assert failing == {
        "modality_code": (1, ["99"]),
        "ends_before_start": (1, ["i.csv line 4"]),
        "start_after_extract": (1, ["i.csv line 5"]),
    }


def test_an_empty_extract_is_a_warning_that_shows_the_row_count():
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        "create table staging.stg_ndelius__oasys_assessments (assessment_id varchar, assessment_date date, "
        "ogrs3_pct double, ovp_pct double, rsr_pct double, extract_date date)"
    )
    result = run_suite(con, SUITES["ndelius_oasys"])
    assert result.passed and [(r.column, r.blocking, r.observed) for r in result.warnings] == [("row_count", False, 0)]


def test_the_time_to_treatment_suite_catches_counts_that_do_not_add_up_and_an_estimate_below_the_seen_share():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.time_to_treatment as select * from (values "
        # the first row of int_time_to_treatment_curves' unit test: 10 = 6 + 1 + 3 - 0, 32.5% >= 3/10
        "(date '2023-04-01', 'england', 'E92000001', 7, 10, 6, 3, 0, 1, 32.5, 11.75, 70.94), "
        # 10 <> 6 + 1 + 4 - 0, and 35% is below the 4 of 10 seen to start
        "(date '2023-04-01', 'england', 'E92000001', 14, 10, 6, 4, 0, 1, 35.0, 11.75, 70.94)) "
        "v(period_start, geography_type, geography_code, day, releases_followed, at_risk, started, started_on_day, censored, "
        "started_pct, lower_ci95_pct, upper_ci95_pct)"
    )
    result = run_suite(con, SUITES["time_to_treatment"])
    failing = {r.column: (r.unexpected_count, r.examples) for r in result.results if not r.success}
    assert failing == {
        "counts_not_adding_up": (1, [["2023-04-01", "england", "E92000001", 14]]),
        "estimate_below_observed": (1, [["2023-04-01", "england", "E92000001", 14]]),
    }


def test_the_recording_adjusted_suite_catches_a_rate_a_fix_lowers():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.c20_recording_adjusted as select * from (values "
        "(date '2023-04-01', 'E08000035', 'all', null, 8, 3, 37.5, 2, 5, 62.5, 25.0, 1, 3), "
        # a fix that lowers the numerator (and so the rate)
        "(date '2023-04-01', 'E08000035', 'community', 'AG1', 8, 3, 37.5, 0, 2, 25.0, 0.0, 0, 0)) "
        "v(period_start, geography_code, provider_role, provider, denominator, numerator, value_pct, "
        "releases_fix_would_engage, adjusted_numerator, adjusted_value_pct, difference_pct_points, "
        "attributor_mismatch_problems, exit_date_after_triage_problems)"
    )
    result = run_suite(con, SUITES["c20_recording_adjusted"])
    assert sorted(r.column for r in result.results if not r.success) == [
        "adjusted_numerator,numerator",
        "adjusted_value_pct,value_pct",
    ]
