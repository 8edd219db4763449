"""`continuity generate --faults`: what the pipeline quarantines, rejects and flags equals
what the generator says it injected (MANIFEST.json)."""

import collections
import json
import os
import subprocess
import sys

import duckdb
import pytest

CLI = [sys.executable, "-m", "dagster_project.cli"]
# Types 1 and 5 also arise by chance between different people with the same initials and sex
# (the rule compares three of four attributors), so for them the injected set must be found
# and extra findings are allowed; every other type must be exactly what the manifest explains.
CHANCE_TYPES = {"attributor_mismatch", "no_structured_intervention"}


@pytest.fixture(scope="module")
def faulted(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    env = {**os.environ}
    env.pop("CONTINUITY_PSEUDO_KEY", None)
    subprocess.run(
        CLI + ["generate", "--out", str(root / "landing"), "--scale", "0.01", "--seed", "11", "--faults", "0.02"],
        check=True,
        capture_output=True,
        env=env,
    )
    result = subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "c.duckdb")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((root / "landing" / "MANIFEST.json").read_text())
    con = duckdb.connect(str(root / "c.duckdb"), read_only=True)
    yield manifest, con, result.stdout
    con.close()


def test_quarantine_equals_the_injected_contract_violations(faulted):
    manifest, con, _ = faulted
    quarantined = set(con.execute("select source_file, line_number, column_name from raw.quarantine").fetchall())
    injected = {(q["source_file"], q["line_number"], q["column_name"]) for q in manifest["quarantine"]}
    assert injected and quarantined == injected
    kinds = {q["fault"] for q in manifest["quarantine"]}
    assert kinds == {"bad_date", "missing_required_field", "unknown_code", "bad_crn", "out_of_range", "duplicate_key"}


def test_the_malformed_file_is_rejected(faulted):
    manifest, con, stdout = faulted
    rejected = con.execute("select source_file, reason from raw.rejected_files").fetchall()
    assert rejected == [(r["source_file"], r["reason"]) for r in manifest["rejected_files"]]
    assert f"rejected file {rejected[0][0]}: {rejected[0][1]}" in stdout


def test_every_injected_recording_problem_is_found_and_no_other(faulted):
    manifest, con, _ = faulted
    found = collections.defaultdict(set)
    for issue_type, record_id, related in con.execute(
        "select issue_type, record_id, related_record_id from marts.recording_issues"
    ).fetchall():
        found[issue_type].add((record_id, related))
    injected, explained = collections.defaultdict(set), collections.defaultdict(set)
    for r in manifest["recording_problems"]:
        injected[r["issue_type"]].add((r["record_id"], r["related_record_id"]))
    for key in ("recording_problems", "natural_recording_problems", "consequential_recording_problems"):
        for r in manifest[key]:
            explained[r["issue_type"]].add((r["record_id"], r.get("related_record_id")))
    assert set(injected) == {
        "attributor_mismatch",
        "transferred_without_structured_need",
        "exit_date_after_triage",
        "unclosed_community_episode",
        "no_structured_intervention",
        "missing_exit_data",
        "orphan_intervention",
    }
    for issue_type, expected in injected.items():
        assert expected <= found[issue_type], (issue_type, expected - found[issue_type])
        if issue_type not in CHANCE_TYPES:
            assert found[issue_type] <= explained[issue_type], (issue_type, found[issue_type] - explained[issue_type])
