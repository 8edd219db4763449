"""Safe to release (indicators.md s.4, s.6; docs/disclosure.md): the demo sample run as
`make demo` runs it, then attacked as a statistician would attack a publication."""

import csv
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.disclosure_attack import leaking_rows, pinned_by_difference, rate_row_leaks, read_csv

CLI = [sys.executable, "-m", "dagster_project.cli"]
RECORD_IDS = {"ndtms_secure": ["EPISODID", "CLIENT"], "ndtms_community": ["EPISODID", "CLIENT"]}
RECORD_IDS |= {"ndtms_interventions": ["MODID", "EPISODID"], "ndelius_cases": ["CRN"], "er_contacts": ["CRN"]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo sample (the Makefile's scale and the generator's default seed)."""
    root = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k not in ("CONTINUITY_PSEUDO_KEY", "CONTINUITY_DEV_KEY_OK")}
    subprocess.run(CLI + ["generate", "--out", str(root / "landing"), "--scale", "0.12"], check=True, env=env)
    result = subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return root


def test_the_recomputation_attack_finds_no_leaking_row(demo):
    exports = demo / "wh" / "exports"
    attacked = sum(len(read_csv(p)) for p in exports.rglob("*.csv"))
    assert attacked > 10_000  # every row of every CSV export was tried, not an empty folder
    assert leaking_rows(exports) == []


def test_the_attack_would_have_found_the_old_leaks():
    # the rows the issue found: 10 releases, a hidden numerator and 63.6% (35.4-84.8) is exactly
    # 7 of 11 (Wilson from 7/11: 35.4, 84.8); a mean 0.437 and SD 0.497 beside n 360 is 157 of 359
    from tests.disclosure_attack import mean_row_leaks

    assert rate_row_leaks("10", "*", "63.6", "35.4", "84.8")
    assert mean_row_leaks("360", "0.437", "0.497")


def test_the_published_er_summary_survives_the_attack(demo):
    con = duckdb.connect(str(demo / "wh" / "published" / "marts.duckdb"), read_only=True)
    rows = con.execute(
        "select n, achieved, value_pct, lower_ci95_pct, upper_ci95_pct from marts.er_outcomes_summary "
        "where value_pct is not null"
    ).fetchall()
    con.close()
    assert rows
    for n, achieved, value, lower, upper in rows:
        assert not rate_row_leaks(str(n), str(achieved), f"{value:.1f}", f"{lower:.1f}", f"{upper:.1f}")


def test_no_hidden_cell_is_recoverable_by_difference(demo):
    exports = demo / "wh" / "exports"
    groups = 0
    for path in (exports / "prp").glob("*.csv"):
        rows = read_csv(path)
        total = int(next(r for r in rows if r["Variable"] == "Total")["Number of observations"])
        for variable in {r["Variable"] for r in rows} - {"Total"}:
            shown = [r["Number of observations"] for r in rows if r["Variable"] == variable]
            groups += 1
            assert not pinned_by_difference(total, shown), (path.name, variable, shown)
    c20 = read_csv(exports / "phof" / "phof_c20.csv")
    for england in (r for r in c20 if r["geography_type"] == "england"):
        period = (england["period_type"], england["period_start"])
        for column in ("denominator", "numerator"):
            prisons = [
                r[column]
                for r in c20
                if r["geography_type"] == "prison" and (r["period_type"], r["period_start"]) == period
            ]
            groups += 1
            assert not pinned_by_difference(int(england[column]), prisons), (period, column)
    assert groups > 50


def test_every_cell_that_is_not_a_number_says_why(demo):
    for path in (demo / "wh" / "exports").rglob("*.csv"):
        rows = read_csv(path)
        rate = next(c for c in ("Outcome mean", "value_pct", "Value") if c in rows[0])
        note = "Value note" if "Value note" in rows[0] else "value_note"
        counts = [c for c in ("Count", "Denominator") if c in rows[0]]  # Fingertips: hidden = empty
        for row in rows:
            if row[rate] in ("", "*"):
                assert row[note], (path.name, row)
            if "*" in row.values() or any(row[c] == "" for c in counts):
                assert "Suppressed: small numbers" in row[note], (path.name, row)


def _landing_ids(landing: Path) -> set[str]:
    ids = set()
    for extract, columns in RECORD_IDS.items():
        for path in (landing / extract).glob("*.csv"):
            with open(path, newline="", encoding="utf-8-sig") as f:
                for row in csv.DictReader(f):
                    ids |= {row[c] for c in columns if row.get(c)}
    return ids


def test_the_open_publication_holds_no_record_id_or_person_level_date(demo):
    ids = _landing_ids(demo / "landing")
    assert len(ids) > 10_000
    published = demo / "wh" / "published"
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    found = set()
    columns = con.execute("select table_name, column_name from information_schema.columns").fetchall()
    for table, column in columns:
        values = con.execute(f'select distinct cast("{column}" as varchar) from main.{table}').fetchall()
        found |= {v for (v,) in values if v in ids}
    con.close()
    forbidden = {"release_id", "person_key", "record_id", "related_record_id", "prison_exit_date", "episode_id"}
    assert {c for _, c in columns} & forbidden == set()
    for path in published.rglob("*.csv"):
        found |= {cell for row in csv.reader(open(path)) for cell in row if cell in ids}
    for path in published.rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            found |= {str(v) for row in sheet.iter_rows(values_only=True) for v in row if str(v) in ids}
    for path in published.rglob("*.html"):
        found |= set(re.findall(r"[A-Za-z0-9]+", path.read_text())) & ids
    assert found == set()


def test_record_level_tables_are_in_the_restricted_folder_only(demo):
    restricted = demo / "wh" / "restricted"
    con = duckdb.connect(str(restricted / "restricted_marts.duckdb"), read_only=True)
    tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    con.close()
    assert tables == {"continuity_releases", "recording_issues", "er_outcomes"}
    con = duckdb.connect(str(demo / "wh" / "published" / "marts.duckdb"), read_only=True)
    open_tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    con.close()
    assert open_tables & tables == set()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_personal_data_is_the_owners_alone(demo):
    wh = demo / "wh"
    assert mode(wh / "c.duckdb") == 0o600 and mode(wh) == 0o700
    restricted = (wh / "restricted").resolve()
    assert mode(restricted) == 0o700
    assert {mode(p) for p in restricted.rglob("*") if p.is_file()} == {0o400}
    assert {mode(p) for p in restricted.rglob("*") if p.is_dir()} == {0o700}
    # the open publication: read-only, for the owner's group, never the world
    published = (wh / "published").resolve()
    assert {mode(p) & 0o007 for p in published.rglob("*")} == {0}
    assert {mode(p) for p in published.rglob("*") if p.is_file()} == {0o440}
    assert {mode(p) & 0o077 for p in (wh / "validation").rglob("*")} == {0}
    assert {mode(p) & 0o077 for p in (wh / "logs").rglob("*")} == {0}


def test_every_published_comparison_follows_from_its_interval_and_englands_value(demo):
    # Fingertips' rule (indicators.md s.1): Better when the 95% interval lies wholly above
    # England's value, Worse when wholly below, Similar when it contains it, Not compared
    # when there is no value; checked on the Fingertips-format export a reader receives
    rows = read_csv(demo / "wh" / "exports" / "phof" / "phof_c20_fingertips.csv")
    england = {r["Time period"]: r["Value"] for r in rows if r["Area Type"] == "England"}
    compared = 0
    for row in rows:
        if row["Area Type"] == "England":
            continue
        label, reference = row["Compared to England value or percentiles"], england[row["Time period"]]
        if row["Value"] == "" or reference == "":
            assert label == "Not compared", row
            continue
        # the export rounds to 1 decimal: compare on the rounded figures a reader sees, allowing
        # the half-unit the rounding may have moved a bound across England's value
        lower, upper, value = float(row["Lower CI 95.0 limit"]), float(row["Upper CI 95.0 limit"]), float(reference)
        if lower > value + 0.05:
            assert label == "Better", row
        elif upper < value - 0.05:
            assert label == "Worse", row
        elif lower < value - 0.05 and upper > value + 0.05:
            assert label == "Similar", row
        compared += 1
    assert compared > 1000
    trend = {r["Recent Trend"] for r in rows if r["Area Type"] == "England" and r["Time period"] == "2025/26"}
    assert trend <= {"Increasing and getting better", "Decreasing and getting worse", "No significant change"}
