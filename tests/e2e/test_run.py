"""`continuity run` end to end, as a user runs it (a real subprocess), on a tiny landing
folder holding one broken file and one bad row of each kind."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers import case_row, community_row, intervention_row, secure_row, write_extract

CLI = [sys.executable, "-m", "dagster_project.cli"]


def build_landing(landing: Path) -> None:
    person2 = {"FINITIAL": "C", "SINITIAL": "D", "DOB": "1985-01-01", "SEX": "2"}
    write_extract(
        landing,
        "ndtms_secure",
        "2023-06-30",
        [
            secure_row(EPISODID="S1"),  # released 2023-06-01, engages
            secure_row(EPISODID="S2", **person2),  # released 2023-06-01, no treatment
            secure_row(EPISODID="S3", PRISEXDT="2023-06-31"),  # bad date -> quarantine
            secure_row(EPISODID="S4", DISRSN="00"),  # unknown code -> quarantine
        ],
    )
    write_extract(
        landing,
        "ndtms_secure",
        "2023-09-30",
        [
            secure_row(
                EPISODID="S5",
                FINITIAL="E",
                RECEPDT="2023-08-01",
                TRIAGED="2023-08-02",
                DISD="2023-09-20",
                PRISEXDT="2023-09-20",
            ),  # window open at 2023-09-30
        ],
    )
    write_extract(
        landing,
        "ndtms_community",
        "2023-06-30",
        [
            community_row(EPISODID="C1"),
            community_row(EPISODID="C2", UTLA=""),  # missing required -> quarantine
        ],
    )
    write_extract(
        landing,
        "ndtms_interventions",
        "2023-06-30",
        [
            intervention_row(MODID="M1", MODST="2023-06-08"),  # day 7: engaged
            intervention_row(MODID="M2"),
            intervention_row(MODID="M2"),  # duplicate key -> both quarantined
        ],
    )
    # the next quarter's community and interventions extracts, C1 and M1 re-sent unchanged:
    # every extract C20 needs is current to 2023-09-30 (publication gate extracts_current)
    write_extract(landing, "ndtms_community", "2023-09-30", [community_row(EPISODID="C1")])
    write_extract(landing, "ndtms_interventions", "2023-09-30", [intervention_row(MODID="M1", MODST="2023-06-08")])
    write_extract(landing, "ndelius_cases", "2023-06-30", [case_row(), case_row(CRN="BAD")])
    # a broken file: er_contacts without its CONTTYPE column -> rejected whole
    write_extract(landing, "er_contacts", "2023-06-30", text="CONTID,CRN,CONTDT,ATTENDED\nK1,X123456,2023-07-01,Y\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    build_landing(root / "landing")
    env = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}
    # a landing made of bad lines on purpose: far more than 5% of its lines are quarantined, so
    # the quarantine_share gate is accepted by name, as an analyst would
    accept = ["--accept", "quarantine_share", "--reason", "a test landing of bad lines"]
    result = subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb"), *accept],
        capture_output=True,
        text=True,
        env=env,
    )
    return root, result


def query(root: Path, sql: str):
    con = duckdb.connect(str(root / "wh" / "c.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_run_succeeds_and_reports_each_bad_row_and_file(run):
    root, result = run
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    out = result.stdout
    assert "Accepted publication gate(s) quarantine_share" in out
    assert "er_contacts/er_contacts_20230630.csv: header lacks required column(s) CONTTYPE" in out
    assert (
        "ndtms_secure/ndtms_secure_20230630.csv line 4: PRISEXDT (value withheld: identifying field) is not a valid "
        "date (YYYY-MM-DD)" in out
    )
    assert "ndtms_secure/ndtms_secure_20230630.csv line 5: DISRSN '00' is not in the code list" in out
    assert "ndtms_community/ndtms_community_20230630.csv line 3: missing required field UTLA" in out
    assert (
        "ndtms_interventions/ndtms_interventions_20230630.csv line 3: duplicate key MODID: 2 rows in this file" in out
    )
    assert (
        "ndelius_cases/ndelius_cases_20230630.csv line 3: CRN (value withheld: identifying field) is not a letter and 6 digits"
        in out
    )
    assert "'BAD'" not in out  # an identifying value never reaches the terminal
    assert "ndelius_oasys: no landing folder, no rows" in out


def test_rows_in_raw_plus_quarantine_equal_data_lines_read(run):
    root, _ = run
    raw = {
        t: query(root, f"select count(*) from raw.{t}")[0][0]
        for t in [
            "ndtms_secure",
            "ndtms_community",
            "ndtms_interventions",
            "ndelius_cases",
            "ndelius_oasys",
            "er_contacts",
        ]
    }
    # secure 4 + 1 lines, community 2 + 1, interventions 3 + 1, cases 2 = 14 data lines read;
    # er_contacts' one line is in a rejected file, so it was never read as data
    assert raw == {
        "ndtms_secure": 3,
        "ndtms_community": 2,
        "ndtms_interventions": 2,
        "ndelius_cases": 1,
        "ndelius_oasys": 0,
        "er_contacts": 0,
    }
    assert query(root, "select count(*) from raw.quarantine")[0][0] == 6
    assert sum(raw.values()) + 6 == 14
    assert query(root, "select source_file from raw.rejected_files") == [("er_contacts/er_contacts_20230630.csv",)]


def test_staging_and_c20_figures(run):
    root, result = run
    assert query(root, "select count(*) from staging.stg_ndtms__secure_episodes")[0][0] == 3
    # FY 2023-24: S1 engaged (start day 7), S2 not engaged, S5 pending (window ends 2023-10-11,
    # after the latest NDTMS extract 2023-09-30) -> 1 of 2 = 50%, 1 pending.
    # Wilson x=1, n=2, z=1.959964: (2 + 3.8415 -/+ 1.96*sqrt(3.8415 + 2)) / (2*5.8415)
    #   = (5.8415 -/+ 4.7369) / 11.6831 -> 9.45% to 90.55%
    assert query(
        root,
        """select numerator, denominator, pending, value_pct from marts.phof_c20
                         where geography_type = 'england' and period_type = 'financial_year'""",
    ) == [(1, 2, 1, 50.0)]
    assert "2023/24: 50.0% (9.5% to 90.5%), 1 of 2 releases, 1 pending" in result.stdout
    statuses = query(root, "select release_id, status, days_to_engagement from marts.continuity_releases order by 1")
    assert statuses == [("S1", "engaged", 7), ("S2", "not_engaged", None), ("S5", "pending", None)]


def test_marts_hold_no_attributors(run):
    root, _ = run
    columns = {
        c for (c,) in query(root, "select column_name from information_schema.columns where table_schema = 'marts'")
    }
    assert not columns & {"first_initial", "surname_initial", "date_of_birth", "client_ref", "crn", "attributor_key"}
    keys = query(root, "select distinct length(person_key) from marts.continuity_releases")
    assert keys == [(64,)]


def test_second_run_changes_nothing(run):
    root, _ = run
    env = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}
    result = subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "ndtms_secure: 2 file(s), 0 rows loaded, 0 quarantined, 2 already loaded (skipped)" in result.stdout
    assert query(root, "select count(*) from raw.ndtms_secure")[0][0] == 3
    assert query(root, "select count(*) from raw.quarantine")[0][0] == 6


def test_a_run_with_nothing_new_says_so_and_publishes_nothing(run):
    # after the second run: the broken file is taken away, so every landing file is loaded
    root, _ = run
    (root / "landing" / "er_contacts" / "er_contacts_20230630.csv").unlink()
    publications = sorted(p.name for p in (root / "wh" / "publications").iterdir())
    env = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}
    command = CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb")]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Nothing new: every landing file is already loaded"), result.stdout
    assert sorted(p.name for p in (root / "wh" / "publications").iterdir()) == publications
    # the log is this run's, not the previous run's
    assert "continuity run: nothing new, nothing run" in (root / "wh" / "logs" / "last-run.log").read_text()
    # another key would make other person keys: that is not "nothing new"
    env["CONTINUITY_PSEUDO_KEY"] = "another-test-key-that-is-32-characters-long"
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "Nothing new" not in result.stdout
    assert {p.name for p in (root / "wh" / "publications").iterdir()} - set(publications)  # a new one
