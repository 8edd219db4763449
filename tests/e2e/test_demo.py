"""The demo as a new user runs it (`make demo`: the generator's sample at --scale 0.12, then
`continuity run`): a short screen with stage lines and a verdict, the full log on disk, and
the flows export naming only pairs above the disclosure threshold."""

import csv
import re
from collections import defaultdict

import duckdb
import pytest

MAKE_DEMO_OVERHEAD = 3  # make demo also prints: the install line, the generator's line, the run command


@pytest.fixture(scope="module")
def demo(demo_build):
    """The demo's run (tests/e2e/conftest.py: built once a session, shared with test_disclosure)."""
    return demo_build


def test_the_screen_is_short_with_a_line_per_stage_and_a_verdict(demo):
    root, lines = demo
    assert len(lines) + MAKE_DEMO_OVERHEAD <= 40, "\n".join(lines)
    stages = [line.split()[0] for line in lines if line.startswith("  ") and line.rstrip().endswith(" s")]
    assert stages[:4] == ["load", "dbt", "checks", "publication"]
    assert any(line.startswith("  dbt build") and "models and seeds built" in line for line in lines)
    assert "Verdict: published. Every blocking check passed; no publication gate accepted." in lines
    [checks] = [line for line in lines if line.startswith("Checks: ")]
    # "Checks: 141 run, 141 passed, 0 warned, 0 failed (15 Great Expectations suites: ...)"
    total, passed, warned, failed = map(
        int, re.match(r"Checks: (\d+) run, (\d+) passed, (\d+) warned, (\d+) failed", checks).groups()
    )
    assert passed + warned + failed == total and failed == 0
    assert "Great Expectations suites" in checks and "dbt tests" in checks and "publication gates" in checks
    assert not any("_gx_" in line for line in lines)  # no step keys such as audit_attrition_gx_audit_attrition
    # the ingestion summary once: each extract's line appears one time
    extract_lines = [line for line in lines if line.startswith("  ndtms_secure: ")]
    assert len(extract_lines) == 1
    assert lines[-1].startswith("Done in ")


def test_the_full_log_is_on_disk_as_plain_text(demo):
    root, lines = demo
    log = (root / "wh" / "logs" / "last-run.log").read_text()
    assert "Running with dbt=" in log and "Finished dbt command" in log
    assert "\x1b" not in log
    assert any(str(root / "wh" / "logs" / "last-run.log") in line for line in lines)


def test_the_flows_export_names_only_pairs_above_the_threshold_plus_other_rows(demo):
    root, _ = demo
    with open(root / "wh" / "partner" / "exports" / "continuity_flows.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    con = duckdb.connect(str(root / "wh" / "continuity.duckdb"), read_only=True)
    exact = con.execute(
        "select period_type, cast(period_start as varchar), estab_code, coalesce(exit_la_code, ''), "
        "releases + pending from marts.continuity_flows"
    ).fetchall()
    con.close()
    # a pair is named when 8 or more people were released along it (disclosure_min_count)
    named = {(t, s, e, la) for t, s, e, la, n in exact if n >= 8}
    small_prisons = {(t, s, e) for t, s, e, la, n in exact if 0 < n < 8}
    small_areas = {(t, s, la) for t, s, e, la, n in exact if 0 < n < 8}
    by_type = defaultdict(list)
    for r in rows:
        by_type[r["flow_type"]].append(r)
    assert {(r["period_type"], r["period_start"], r["estab_code"], r["exit_la_code"]) for r in by_type["pair"]} == named
    assert {(r["period_type"], r["period_start"], r["estab_code"]) for r in by_type["other_areas"]} == small_prisons
    assert {(r["period_type"], r["period_start"], r["exit_la_code"]) for r in by_type["other_prisons"]} == small_areas
    assert len(rows) == len(named) + len(small_prisons) + len(small_areas)
    assert len(rows) < len(exact) / 3  # far fewer rows than every pair (36,989 before, 96% all *)
    assert all(r["prison_name"] for r in by_type["pair"]) and all(r["la_name"] for r in by_type["pair"])
    assert {r["la_name"] for r in by_type["other_areas"]} == {"Other areas"}
    assert {r["prison_name"] for r in by_type["other_prisons"]} == {"Other prisons"}
    # true counts: every named pair shows 8 or more released (judged + pending) unless hidden
    assert all(int(r["releases"]) + int(r["pending"]) >= 8 for r in by_type["pair"] if r["releases"] and r["pending"])
