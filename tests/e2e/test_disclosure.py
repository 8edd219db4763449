"""Safe to release (indicators.md s.4, s.6; docs/disclosure.md): the demo sample run as
`make demo` runs it, then attacked as a statistician would attack a publication."""

import csv
import re
import stat
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.disclosure_attack import relations_violated, run_attack
from tests.disclosure_truth import false_figures, unmatched_rows

RECORD_IDS = {"ndtms_secure": ["EPISODID", "CLIENT"], "ndtms_community": ["EPISODID", "CLIENT"]}
RECORD_IDS |= {"ndtms_interventions": ["MODID", "EPISODID"], "ndelius_cases": ["CRN"], "er_contacts": ["CRN"]}


@pytest.fixture(scope="module")
def demo(demo_build):
    """The demo sample's run (the Makefile's scale and the generator's default seed), built once
    a session and shared with test_demo (tests/e2e/conftest.py)."""
    return demo_build[0]


def test_the_relations_the_attack_models_hold_on_the_marts(demo):
    # every relation of the attack, on the warehouse's own exact marts: a relation that does not
    # hold there is modelled wrongly (and would make the attack prove nothing)
    assert relations_violated(demo / "wh" / "continuity.duckdb") == []


def test_the_attack_pins_no_hidden_cell(demo):
    # indicators.md s.4: every published relation of the open and partner tiers (a partner holds
    # both), solved together, leaves every hidden count more than one value
    result = run_attack(demo / "wh")
    assert result.unknown_tables == []  # every published table's relations are modelled
    assert result.hidden > 1000  # hidden cells were attacked, not an empty publication
    families = set(result.relations)
    for family in (
        "phof_c20: local authorities = their region",
        "audit: the inreach split = its row",
        "flows: a prison's rows = its phof_c20 row",
        "ER: the priority groups = the site",
        "recording: the providers' issues = England's",
        "phof_c20: a 12-month period = its four quarters",
    ):
        assert family in families  # the partner tier was read with the open one
    assert result.pinned == [], "\n".join(str(p) for p in result.pinned[:10])


def test_every_figure_shown_is_the_true_one(demo):
    # each table of the open and partner tiers and each CSV/XLSX export, cell by cell, against the
    # warehouse's marts: counts exact, rates and intervals to the decimals shown, labels equal
    false = false_figures(demo / "wh", demo / "wh" / "continuity.duckdb")
    assert false == [], "\n".join(str(f) for f in false[:20])
    assert unmatched_rows(demo / "wh", demo / "wh" / "continuity.duckdb") == {}


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
                # small numbers, to protect another cell, or a partial period (no count published)
                assert "uppressed: " in row[note] or row[note].startswith(("Partial period", "No releases")), (
                    path.name,
                    row,
                )


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


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
    assert mode(wh / "continuity.duckdb") == 0o600 and mode(wh) == 0o700
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
    # England's value, Worse when wholly below, Similar when it contains it; nothing where the
    # value is hidden; checked on the Fingertips-format export a reader receives
    rows = read_csv(demo / "wh" / "exports" / "phof" / "phof_c20_fingertips.csv")
    england = {r["Time period"]: r["Value"] for r in rows if r["Area Type"] == "England"}
    compared = 0
    for row in rows:
        if row["Area Type"] == "England":
            continue
        label, reference = row["Compared to England value or percentiles"], england[row["Time period"]]
        if row["Value"] == "" or reference == "":
            assert label in ("", "Not compared"), row  # empty where the value is hidden
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
