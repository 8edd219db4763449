"""Nothing wrong is published quietly, as an analyst meets it, with real runs:
the publication gates block with a one-line reason and can be accepted by name with a
reason (recorded in notes.json); a re-sent file whose codes end in a tab, case-variant CRNs,
a CR-only file, `continuity withdraw` and a failing dbt test.

The world: twenty adults released on 2023-06-01 (S0-S19), the first ten engaged on day 7
(community episodes C0-C9, structured interventions M0-M9 starting 2023-06-08), so England
FY 2023-24 is 10 of 20 = 50%: neither 10 engaged nor 10 not engaged is a small number, so the
publication shows England's true figure (indicators.md s.4), and twenty judged releases reach
gate_min_denominator (10)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers import case_row, community_row, csv_text, intervention_row, secure_row, write_extract

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}


def person(i: int) -> dict:
    return {"FINITIAL": chr(ord("A") + i), "SINITIAL": "B", "DOB": "1990-05-17", "SEX": "1"}


def secure(**fields) -> list[dict]:
    return [secure_row(EPISODID=f"S{i}", CLIENT=f"PC{i}", **person(i), **fields) for i in range(20)]


def community() -> list[dict]:
    return [community_row(EPISODID=f"C{i}", CLIENT=f"CC{i}", **person(i)) for i in range(10)]


def interventions(late: tuple[int, ...] = ()) -> list[dict]:
    # MODST 2023-07-20 is day 49 after release: not engaged
    return [
        intervention_row(MODID=f"M{i}", EPISODID=f"C{i}", MODST="2023-07-20" if i in late else "2023-06-08")
        for i in range(10)
    ]


def quarter(landing: Path, day: str, secure_rows=None, late: tuple[int, ...] = ()) -> None:
    write_extract(landing, "ndtms_secure", day, secure_rows or secure())
    write_extract(landing, "ndtms_community", day, community())
    write_extract(landing, "ndtms_interventions", day, interventions(late))


def run(landing: Path, warehouse: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse), *extra],
        capture_output=True,
        text=True,
        env=ENV,
    )


def query(path: Path, sql: str) -> list:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


NATIONAL_FY = (
    "select numerator, denominator, value_pct from marts.phof_c20 "
    "where geography_type = 'england' and period_type = 'financial_year'"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("gates")
    landing, warehouse = root / "landing", root / "wh" / "c.duckdb"
    quarter(landing, "2023-06-30")
    write_extract(landing, "ndelius_cases", "2023-06-30", [case_row(CRN="z900002")])
    first = run(landing, warehouse)
    return root, landing, warehouse, first


def test_a_complete_landing_publishes(world):
    _, _, warehouse, first = world
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    # S0-S9 engaged on day 7, S10-S19 not: 10 of 20, published as it is
    assert query(warehouse.parent / "published" / "marts.duckdb", NATIONAL_FY) == [(10, 20, 50.0)]
    notes = json.loads((warehouse.parent / "published" / "notes.json").read_text())
    assert notes["accepted_gates"] == []  # nothing accepted


def test_tab_codes_case_variant_crns_and_a_cr_only_file(world):
    root, landing, warehouse, _ = world
    # the next quarter re-sends every record; the secure file's codes and keys end in a tab
    # and its lines are in reverse order (S0 is on line 21)
    resent = [{**r, "EPISODID": r["EPISODID"] + "\t"} for r in secure(PRISEXRSN="REL\t", EXITDEST="e08000035\t")]
    quarter(landing, "2023-09-30", secure_rows=resent[::-1])
    # the same person's CRN in another case
    write_extract(landing, "ndelius_cases", "2023-09-30", [case_row(CRN="Z900002", ESTAB="ACI")])
    # a community file saved with CR-only line endings
    cr_only = csv_text("ndtms_community", community()).replace("\n", "\r")
    write_extract(landing, "ndtms_community", "2023-08-15", text=cr_only.encode())
    # and one its user cannot read (only when not root: chmod 000 does not stop root, so
    # tests/pipelines/test_load.py simulates the PermissionError instead)
    unreadable = write_extract(landing, "ndtms_community", "2023-08-16", community())
    unreadable.chmod(0)
    second = run(landing, warehouse)
    unreadable.chmod(0o600)
    if os.geteuid() != 0:
        assert (
            "rejected file ndtms_community/ndtms_community_20230816.csv: permission denied: the pipeline's user "
            "cannot read the file (check its owner and mode)"
        ) in second.stdout
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert (
        "rejected file ndtms_community/ndtms_community_20230815.csv: lines end in CR only (old Mac format)"
        in second.stdout
    )
    # C20 unchanged: the tab did not take S0-S19 out of the releases (10 of 20)
    assert query(warehouse.parent / "published" / "marts.duckdb", NATIONAL_FY) == [(10, 20, 50.0)]
    # the re-sent version superseded the first: S0 comes from line 21 of the later file
    assert query(
        warehouse,
        "select source_file, line_number, prison_exit_reason_code, exit_la_code from "
        "staging.stg_ndtms__secure_episodes where episode_id = 'S0'",
    ) == [("ndtms_secure/ndtms_secure_20230930.csv", 21, "REL", "E08000035")]
    assert query(warehouse, "select count(*) from staging.stg_ndtms__secure_episodes") == [(20,)]
    # z900002 and Z900002 are one case: the later version (ESTAB ACI) wins, and no dbt test failed
    assert query(warehouse, "select crn, estab_code from staging.stg_ndelius__cases") == [("Z900002", "ACI")]


def test_a_big_move_blocks_then_withdraw_and_accept_publish(world):
    root, landing, warehouse, _ = world
    published = warehouse.parent / "published"
    before = os.readlink(warehouse.parent / "current")  # the link each publication swaps
    # the next quarter "corrects" M3 and M4 to start on day 49: 8 of 20 = 40%, 10 points down,
    # in FY 2023-24 (the one rolling 12-month period holding the ten starts before the first
    # extract: a partial period, whose value the publication does not show, so not compared)
    quarter(landing, "2023-12-31", late=(3, 4))
    third = run(landing, warehouse)
    assert third.returncode == 1
    assert (
        "  publication gate c20_change blocks: national C20 2023/24 moved from 50.0% to 40.0% (-10.0 points) "
        "since the last publication; more than 5 points (gate_c20_max_change_points) "
        "(to publish anyway: continuity run --accept c20_change --reason TEXT)"
    ) in third.stdout, third.stdout[-1500:]
    assert os.readlink(warehouse.parent / "current") == before
    # the analyst finds the interventions file wrong and withdraws it
    withdrawn = subprocess.run(
        CLI
        + [
            "withdraw",
            "ndtms_interventions_20231231.csv",
            "--reason",
            "MODST shifted by the provider's export",
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "Withdrew ndtms_interventions/ndtms_interventions_20231231.csv" in withdrawn.stdout
    assert "its 10 row(s) no longer count from the next run" in withdrawn.stdout
    # without that file, interventions are current only to 2023-09-30: the gate says so
    fourth = run(landing, warehouse)
    assert fourth.returncode == 1
    assert (
        "  publication gate extracts_current blocks: ndtms_interventions has no file for the latest extract "
        "date 2023-12-31 (its latest is 2023-09-30): C20 needs every one of them current"
    ) in fourth.stdout
    # accepted by name, with a reason: published, and the override is in notes.json
    fifth = run(landing, warehouse, "--accept", "extracts_current", "--reason", "interventions re-send awaited")
    assert fifth.returncode == 0, fifth.stdout[-3000:] + fifth.stderr
    assert "Accepted publication gate(s) extracts_current" in fifth.stdout
    # the withdrawn file's rows count nowhere: M3 and M4 start on day 7 again, 10 of 20
    assert query(published / "marts.duckdb", NATIONAL_FY) == [(10, 20, 50.0)]
    [note] = json.loads((published / "notes.json").read_text())["accepted_gates"]
    assert (note["gate"], note["reason"]) == ("extracts_current", "interventions re-send awaited")
    assert note["who"] and note["when"]
    assert query(warehouse, "select source_file, reason from raw.withdrawn_files") == [
        ("ndtms_interventions/ndtms_interventions_20231231.csv", "MODST shifted by the provider's export")
    ]


def test_a_landing_without_the_community_extract_is_not_published(tmp_path):
    landing = tmp_path / "landing"
    write_extract(landing, "ndtms_secure", "2023-06-30", secure())
    result = run(landing, tmp_path / "wh" / "c.duckdb")
    assert result.returncode == 1
    assert "Not published" in result.stdout
    assert (
        "  publication gate extracts_current blocks: ndtms_community has no current rows; ndtms_interventions "
        "has no current rows: C20 needs every one of them current"
    ) in result.stdout
    # 0 of 20 engaged without the community extract: outside the plausible band
    assert "  publication gate c20_band blocks: national C20 2023/24 is 0.0% of 20 releases" in result.stdout
    assert not (tmp_path / "wh" / "published").exists()
    assert not (tmp_path / "wh" / "reports").exists()


def test_a_failing_dbt_test_is_named_with_its_count(tmp_path):
    # a warehouse holding a row the loader would refuse (an empty CRN, written by hand or by an
    # older version): dbt's not_null test on stg_ndelius__cases.crn fails
    landing, warehouse = tmp_path / "landing", tmp_path / "wh" / "c.duckdb"
    quarter(landing, "2023-06-30")
    warehouse.parent.mkdir()
    from pipelines.load import ensure_raw_schema

    con = duckdb.connect(str(warehouse))
    ensure_raw_schema(con)
    columns = [c for (c,) in con.execute("select column_name from (describe raw.ndelius_cases)").fetchall()]
    row = {**case_row(CRN=""), "_source_file": "ndelius_cases/old.csv", "_line_number": 2}
    row |= {"_extract_date": "2023-06-30", "_loaded_at": "2023-07-01 00:00:00", "_file_sha256": "x"}
    con.execute(
        f"insert into raw.ndelius_cases values ({', '.join('?' for _ in columns)})", [row.get(c) for c in columns]
    )
    con.close()
    result = run(landing, warehouse)
    assert result.returncode == 1
    assert "KeyError" not in result.stdout + result.stderr
    assert "  1 dbt test(s) failed: not_null_stg_ndelius__cases_crn" in result.stdout
    assert (
        "  blocking check not_null_stg_ndelius__cases_crn on stg_ndelius__cases failed: "
        "dbt test not_null_stg_ndelius__cases_crn failed: 1 failing row(s)"
    ) in result.stdout
