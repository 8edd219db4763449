"""Exports from a small hand-made publication: files, headers, values, suppression,
formula injection; and a scan that no published count is 1 to 7."""

import csv
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.disclosure import Rules
from pipelines.exports import neutralise, write_exports


@pytest.fixture
def publication(tmp_path) -> Path:
    pub = tmp_path / "published"
    pub.mkdir()
    con = duckdb.connect(str(pub / "marts.duckdb"))
    con.execute("""create table main.inequality_breakdowns as select * from (values
        ('engaged_within_21_days', false, 'total', 'All', 118, 0.45, 0.40, 0.50, 0.498),
        ('engaged_within_21_days', false, 'sex', 'Male', 100, 0.40, 0.31, 0.50, 0.492),
        ('engaged_within_21_days', false, 'sex', 'Female', 12, 0.75, 0.47, 0.91, 0.452),
        ('engaged_within_21_days', false, 'sex', 'Not stated', 6, 0.5, 0.19, 0.81, 0.548),
        ('engaged_within_21_days', false, 'region', '=HYPERLINK(1)', 118, 0.45, 0.40, 0.50, 0.498),
        ('engaged_within_21_days', true, 'total', 'All', 118, 0.45, 0.40, 0.50, 0.498),
        ('engaged_within_21_days', true, 'sex', 'Male', 100, 0.41, 0.31, 0.50, 0.470),
        ('engaged_within_21_days', true, 'sex', 'Female', 12, 0.70, 0.47, 0.91, 0.452),
        ('engaged_within_21_days', true, 'sex', 'Not stated', 6, 0.5, 0.19, 0.81, 0.548),
        ('er_successful_outcome', false, 'total', 'All', 20, 0.6, 0.38, 0.78, 0.503),
        ('er_successful_outcome', false, 'sex', 'Male', 20, 0.6, 0.38, 0.78, 0.503),
        ('er_successful_outcome', true, 'total', 'All', 20, 0.6, 0.38, 0.78, 0.503),
        ('er_successful_outcome', true, 'sex', 'Male', 20, 0.6, 0.38, 0.78, 0.503)
        ) t(outcome, adjusted, variable, category, n, mean, lower_ci95, upper_ci95, sd)""")
    con.execute("""create table main.phof_c20 as select * from (values
        ('financial_year', date '2023-04-01', date '2024-03-31', 'england', 'E92000001', 'England', 160, 64, 5, 40.0, 32.7, 47.7),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000032', 'Bradford', 100, 40, 2, 40.0, 30.9, 49.8),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000035', 'Leeds', 53, 22, 3, 41.5, 29.3, 54.9),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000036', 'Wakefield', 7, 2, 0, 28.6, 8.2, 64.1)
        ) t(period_type, period_start, period_end, geography_type, geography_code, geography_name, denominator,
            numerator, pending, value_pct, lower_ci95_pct, upper_ci95_pct)""")
    con.execute("""create table main.continuity_flows as select * from (values
        ('financial_year', date '2023-04-01', date '2024-03-31', 'LEI', 'E08000035', 53, 22, 3, 41.5)
        ) t(period_type, period_start, period_end, estab_code, exit_la_code, releases, engaged, pending, value_pct)""")
    con.close()
    return pub


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_prp_csv_is_the_table_prp_asks_for(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "Latest extract dates: ndtms_secure 2024-03-31", Rules())
    rows = read_csv(out / "prp" / "engaged_within_21_days_unadjusted.csv")
    assert rows[0] == ["Variable", "Category", "Outcome mean", "Number of observations", "Variation"]
    # national row exact; Male 100 -> 100; Female 12 -> 10 (rounded) but hidden as the smallest
    # other cell because Not stated (6) is suppressed and the total 118 would give it away
    assert rows[1:] == [
        ["Total", "All", "0.450", "118", "0.498"],
        ["Sex", "Female", "*", "*", "*"],
        ["Sex", "Male", "0.400", "100", "0.492"],
        ["Sex", "Not stated", "*", "*", "*"],
        ["Region", "'=HYPERLINK(1)", "0.450", "120", "0.498"],
    ]


def test_workbook_has_a_sheet_per_outcome_and_notes(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "Latest extract dates: ndtms_secure 2024-03-31", Rules())
    book = openpyxl.load_workbook(out / "prp" / "inequality_breakdowns.xlsx")
    assert book.sheetnames == ["engaged_within_21_days", "er_successful_outcome", "Notes"]
    sheet = book["engaged_within_21_days"]
    assert sheet["A3"].value == "Unadjusted"
    assert [c.value for c in sheet[4]][:5] == [
        "Variable",
        "Category",
        "Outcome mean",
        "Number of observations",
        "Variation",
    ]
    assert [c.value for c in sheet[7]][:5] == ["Sex", "Male", "0.400", "100", "0.492"]
    adjusted_header = next(
        r
        for r in range(1, sheet.max_row + 1)
        if sheet.cell(r, 1).value and sheet.cell(r, 1).value.startswith("Adjusted")
    )
    # header row, Total, Female (hidden), then Male
    assert [sheet.cell(adjusted_header + 4, c).value for c in (1, 2, 3)] == ["Sex", "Male", "0.410"]
    notes = {r[0].value: r[1].value for r in book["Notes"].iter_rows()}
    assert notes["Period and data vintage"] == "Latest extract dates: ndtms_secure 2024-03-31"
    assert "counts of 1-7 are shown as *" in notes["Disclosure control"]


def test_phof_exports_keep_england_exact_and_control_the_rest(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "v", Rules())
    rows = read_csv(out / "phof" / "phof_c20.csv")
    # England 160/64/5 exact. Wakefield's 7 releases -> * (rate too); it is the only suppressed LA, so
    # the smallest other LA (Leeds, 53) is hidden as well, or 160 - 100 - 53 would reveal it.
    # Bradford: 100 -> 100, 40 -> 40, pending 2 -> * (a count of 1-7), rate shown (100 releases).
    assert [r[4:10] for r in rows[1:]] == [
        ["E92000001", "England", "160", "64", "5", "40.0"],
        ["E08000032", "Bradford", "100", "40", "*", "40.0"],
        ["E08000035", "Leeds", "*", "*", "*", "*"],
        ["E08000036", "Wakefield", "*", "*", "*", "*"],
    ]


def test_no_published_count_is_between_one_and_seven(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "v", Rules())
    count_headers = {"Number of observations", "denominator", "numerator", "pending", "releases", "engaged"}
    offending = []
    for path in out.rglob("*.csv"):
        rows = read_csv(path)
        for row in rows[1:]:
            for header, value in zip(rows[0], row, strict=True):
                national = row[:2] == ["Total", "All"] or "E92000001" in row
                if header in count_headers and not national and value.isdigit() and 1 <= int(value) <= 7:
                    offending.append((path.name, header, value))
    book = openpyxl.load_workbook(out / "prp" / "inequality_breakdowns.xlsx")
    for sheet in book.worksheets[:-1]:
        for row in sheet.iter_rows(values_only=True):
            if row[0] not in (None, "Total") and isinstance(row[3], str) and row[3].isdigit():
                if 1 <= int(row[3]) <= 7:
                    offending.append((sheet.title, row))
    assert offending == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+44", "'+44"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("Leeds", "Leeds"), (12, 12)],
)
def test_formula_injection_is_neutralised(value, expected):
    assert neutralise(value) == expected
