"""Write-audit-publish: good data publishes; a failing blocking expectation does not, and the
earlier publication stays byte-identical; a failing warning does not block."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from pptx import Presentation

from tests.e2e.test_run import build_landing
from tests.helpers import secure_row, write_extract

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {**os.environ, "CONTINUITY_PSEUDO_KEY": "test-key-not-secret-but-32-characters-long"}


def run(root: Path) -> subprocess.CompletedProcess:
    # test_run's landing of bad lines: far more than 5% quarantined, so that gate is accepted by name
    accept = ["--accept", "quarantine_share", "--reason", "a test landing of bad lines"]
    return subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb"), *accept],
        capture_output=True,
        text=True,
        env=ENV,
    )


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    build_landing(root / "landing")
    first = run(root)
    return root, first


def test_good_data_is_published(published):
    root, first = published
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr
    link = root / "wh" / "published"
    assert link.is_symlink()
    assert f"Published: {link}" in first.stdout
    parquet = sorted(p.name for p in (link / "parquet").iterdir())
    assert {"phof_c20.parquet", "inequality_breakdowns.parquet", "time_to_treatment.parquet"} <= set(parquet)
    # flows are partner content: in the partner tier only, owner-only
    assert "continuity_flows.parquet" not in parquet
    partner = root / "wh" / "partner"
    assert (partner / "parquet" / "continuity_flows.parquet").is_file()
    assert (partner / "exports" / "continuity_flows.csv").is_file()
    assert oct(partner.resolve().stat().st_mode & 0o777) == "0o700"
    # record-level tables are in the restricted tier only
    assert "continuity_releases.parquet" not in parquet
    restricted = root / "wh" / "restricted" / "parquet"
    assert sorted(p.name for p in restricted.iterdir()) == ["continuity_releases", "er_outcomes", "recording_issues"]
    # one file per financial year; read together they are the mart
    releases = duckdb.sql(f"select count(*) from read_parquet('{restricted}/continuity_releases/*.parquet')")
    con = duckdb.connect(str(root / "wh" / "c.duckdb"), read_only=True)
    assert releases.fetchall() == con.execute("select count(*) from marts.continuity_releases").fetchall()
    con.close()
    con = duckdb.connect(str(link / "marts.duckdb"), read_only=True)
    # the e2e fixture's England figure for 2023-24, 1 of 2 judged releases engaged: small
    # numbers, hidden (England's too, indicators.md s.4)
    assert con.execute(
        "select numerator, denominator from marts.phof_c20 where geography_type = 'england' "
        "and period_type = 'financial_year'"
    ).fetchall() == [(None, None)]
    con.close()
    assert oct((link / "marts.duckdb").stat().st_mode & 0o777) == "0o440"
    # exports, reports and the validation report are part of the same publication as the
    # marts (swapped in by one link), so they can never disagree with it
    publication = link.resolve()
    assert (root / "wh" / "exports").resolve().parent == publication
    assert (root / "wh" / "reports").resolve().parent == publication
    assert (publication / "validation.html").is_file() and (publication / "notes.json").is_file()
    # the descriptions travel with the tables: DuckDB comments and Parquet schema metadata
    con = duckdb.connect(str(link / "marts.duckdb"), read_only=True)
    comment = con.execute(
        "select comment from duckdb_columns() where table_name = 'phof_c20' and column_name = 'value_note'"
    ).fetchall()[0][0]
    con.close()
    assert comment.startswith("Why the value is not a plain final figure")  # the docs block (models/docs/columns.md)
    schema = pq.read_schema(link / "parquet" / "phof_c20.parquet")
    assert schema.field("value_note").metadata[b"description"].decode() == comment
    assert schema.metadata[b"description"].decode().startswith("marts.phof_c20 as the open tier publishes it")


def test_a_failing_warning_is_reported_but_does_not_block(published):
    root, first = published
    # the fixture has no ndelius_oasys folder: the row-count expectation is a warning (observed 0 rows)
    assert "Validation warning gx_ndelius_oasys on stg_ndelius__oasys_assessments" in first.stdout
    report = json.loads((root / "wh" / "published" / "validation.json").read_text())
    oasys = next(s for s in report["suites"] if s["name"] == "ndelius_oasys")
    assert oasys["passed"] is True
    assert [(r["type"], r["column"], r["blocking"], r["observed"]) for r in oasys["results"] if not r["success"]] == [
        ("expect_column_min_to_be_between", "row_count", False, 0)
    ]
    html = (root / "wh" / "published" / "validation.html").read_text()
    assert "http" not in html.lower().replace("http-equiv", "")  # offline: no CDN, no link out


def test_reports_are_built_from_the_publication(published):
    root, first = published
    reports = root / "wh" / "reports"
    assert f"reports: {reports} (slide pack, local-area profiles, easy-read summary)" in first.stdout
    deck = Presentation(str(reports / "continuity_slides.pptx"))
    titles = [s.shapes.title.text for s in deck.slides]
    # England's only year is 1 of 2 judged: a small number, hidden like any other
    assert titles[:3] == [
        "Continuity of care for people leaving prison",
        "Terms used in this pack",
        "No national figure to show yet",
    ]
    # the attrition funnel is partner content (the partner pack): never in the open pack
    assert not any(t.startswith("Where people are lost") for t in titles)
    con = duckdb.connect(str(root / "wh" / "published" / "marts.duckdb"), read_only=True)
    published_england = con.execute(
        "select denominator, numerator, value_pct, value_note from marts.phof_c20 where geography_type = "
        "'england' and period_type = 'financial_year'"
    ).fetchall()
    con.close()
    assert [row[:3] for row in published_england] == [(None, None, None)]
    assert published_england[0][3].startswith("Suppressed: small numbers")
    assert "numbers below 8 are hidden" in deck.slides[2].shapes[1].text_frame.text
    for page in ("continuity_slides.html", "easy_read.html"):
        text = (reports / page).read_text()
        assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', text), page  # nothing loaded from outside
    assert "5 in 10" not in (reports / "easy_read.html").read_text()  # the hidden 1 of 2 is nowhere
    assert (reports / "easy_read.pdf").read_bytes().startswith(b"%PDF")


def test_a_blocking_failure_does_not_publish_and_keeps_the_old_publication(published):
    root, _ = published
    link = root / "wh" / "published"
    target, before = os.readlink(link), fingerprint(link)
    reports_before = fingerprint(root / "wh" / "reports")
    # contract-valid (a plausible DOB: 13 on the extract date), but born after reception:
    # breaks gx_ndtms_secure (blocking)
    write_extract(
        root / "landing",
        "ndtms_secure",
        "2023-12-31",
        [secure_row(EPISODID="S99", FINITIAL="Z", DOB="2010-01-01", RECEPDT="2009-01-10")],
    )
    second = run(root)
    assert second.returncode == 1
    assert "Not published: the previous publication is unchanged." in second.stdout
    assert (
        "blocking check gx_ndtms_secure on stg_ndtms__secure_episodes failed: ndtms_secure: 10 of 11 "
        "expectations met; BLOCKING expect_column_values_to_be_between(received_before_born) failed: 1 unexpected"
    ) in second.stdout
    assert os.readlink(link) == target
    assert fingerprint(link) == before
    assert fingerprint(root / "wh" / "reports") == reports_before  # no new report either
    latest = json.loads((root / "wh" / "validation" / "latest" / "validation.json").read_text())
    assert latest["passed"] is False
    secure = next(s for s in latest["suites"] if s["name"] == "ndtms_secure")
    failing = [r for r in secure["results"] if not r["success"]]
    # counted by DuckDB; the example is the row's file and line, never the date of birth
    assert [(r["column"], r["blocking"], r["unexpected_count"]) for r in failing] == [("received_before_born", True, 1)]
    # the file holds a header and the one row: line 2
    assert failing[0]["examples"] == ["ndtms_secure/ndtms_secure_20231231.csv line 2"]
    assert "2010-01-01" not in json.dumps(latest)
