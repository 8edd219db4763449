"""Exports from a small hand-made open publication: files, headers, how hidden cells and
value notes are shown, numbers as numbers in Excel, formula injection."""

import csv
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.exports import neutralise, write_exports

SUPPRESSED = "Suppressed: small numbers"


@pytest.fixture
def publication(tmp_path) -> Path:
    """A small open publication, as models/publication/ writes it: counts already controlled
    (NULL = hidden), rates from the rounded counts, a value note where a value is missing."""
    pub = tmp_path / "published"
    pub.mkdir()
    con = duckdb.connect(str(pub / "marts.duckdb"))
    con.execute(f"""create table main.inequality_breakdowns as select * from (values
        ('engaged_within_21_days', false, 'total', 'All', 118, 0.45, 0.40, 0.50, 0.498, null),
        ('engaged_within_21_days', false, 'sex', 'Male', 100, 0.40, 0.31, 0.50, 0.4924, null),
        ('engaged_within_21_days', false, 'sex', 'Female', null, null, null, null, null, '{SUPPRESSED}'),
        ('engaged_within_21_days', false, 'sex', 'Not stated', null, null, null, null, null, '{SUPPRESSED}'),
        ('engaged_within_21_days', false, 'region', '=HYPERLINK(1)', 120, 0.4583, 0.37, 0.55, 0.5004, null),
        ('engaged_within_21_days', true, 'total', 'All', 118, 0.45, 0.40, 0.50, 0.498, null),
        ('engaged_within_21_days', true, 'sex', 'Male', 100, 0.41, 0.31, 0.50, 0.470, null),
        ('engaged_within_21_days', true, 'sex', 'Female', null, null, null, null, null, '{SUPPRESSED}'),
        ('er_successful_outcome', false, 'total', 'All', 20, 0.6, 0.38, 0.78, 0.503, null),
        ('er_successful_outcome', false, 'sex', 'Male', 0, null, null, null, null, 'No one judged'),
        ('er_successful_outcome', true, 'total', 'All', 20, 0.6, 0.38, 0.78, 0.503, null)
        ) t(outcome, adjusted, variable, category, n, mean, lower_ci95, upper_ci95, sd, value_note)""")
    con.execute(f"""create table main.phof_c20 as select * from (values
        ('financial_year', date '2023-04-01', date '2024-03-31', 'england', 'E92000001', 'England', 160, 64, 5,
         40.0, 32.7, 47.7, 'Provisional: releases still pending'),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000032', 'Bradford', 100,
         40, null, 40.0, 30.9, 49.8, 'Provisional: releases still pending; {SUPPRESSED}'),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000035', 'Leeds', null,
         null, 0, null, null, null, '{SUPPRESSED}'),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'local_authority', 'E08000036', 'Wakefield', 0,
         0, 0, null, null, null, 'No releases')
        ) t(period_type, period_start, period_end, geography_type, geography_code, geography_name, denominator,
            numerator, pending, value_pct, lower_ci95_pct, upper_ci95_pct, value_note)""")
    # the comparison, trend and label columns of the open phof_c20, for two rows
    for column, kind in [
        ("lower_ci998_pct", "double"),
        ("upper_ci998_pct", "double"),
        ("parent_region_code", "varchar"),
        ("compared_with_england_95", "varchar"),
        ("compared_with_england_998", "varchar"),
        ("compared_with_region_95", "varchar"),
        ("compared_with_region_998", "varchar"),
        ("recent_trend", "varchar"),
        ("trend_chi_square", "double"),
        ("period_label", "varchar"),
        ("period_sort_key", "integer"),
    ]:
        con.execute(f"alter table main.phof_c20 add column {column} {kind}")
    con.execute("update main.phof_c20 set period_label = '2023/24', period_sort_key = 20230401")
    con.execute(
        "update main.phof_c20 set parent_region_code = 'E12000003', compared_with_england_95 = 'Similar', "
        "lower_ci998_pct = 26.2, upper_ci998_pct = 54.9 where geography_code = 'E08000032'"
    )
    # as models/publication/open_continuity_flows.sql writes it: named pairs, a prison's
    # "Other areas" row and an area's "Other prisons" row (written out of order on purpose)
    con.execute("""create table main.continuity_flows as select * from (values
        ('financial_year', date '2023-04-01', date '2024-03-31', 'other_prisons', null, 'Other prisons', 'E08000035', 'Leeds', 10, null, 0, null, 'Suppressed: small numbers'),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'other_areas', 'LEI', 'HMP Leeds', null, 'Other areas', 15, 5, 0, 33.33, null),
        ('financial_year', date '2023-04-01', date '2024-03-31', 'pair', 'LEI', 'HMP Leeds', 'E08000035', 'Leeds', 55, 20, 10, 36.36, 'Provisional: releases still pending')
        ) t(period_type, period_start, period_end, flow_type, estab_code, prison_name, exit_la_code, la_name,
            releases, engaged, pending, value_pct, value_note)""")
    con.close()
    return pub


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_prp_csv_is_the_table_prp_asks_for_with_a_value_note(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "Latest extract dates: ndtms_secure 2024-03-31")
    rows = read_csv(out / "prp" / "engaged_within_21_days_unadjusted.csv")
    assert rows[0] == ["Variable", "Category", "Outcome mean", "Number of observations", "Variation", "Value note"]
    # figures as published, rounded for reading; a hidden cell is empty with its note; a category
    # that looks like a formula is neutralised
    assert rows[1:] == [
        ["Total", "All", "0.450", "118", "0.498", ""],
        ["Sex", "Female", "", "", "", SUPPRESSED],
        ["Sex", "Male", "0.400", "100", "0.492", ""],
        ["Sex", "Not stated", "", "", "", SUPPRESSED],
        ["Region", "'=HYPERLINK(1)", "0.458", "120", "0.500", ""],
    ]
    # n = 0: no value, not suppressed: empty with its note
    er = read_csv(out / "prp" / "er_successful_outcome_unadjusted.csv")
    assert er[2] == ["Sex", "Male", "", "0", "", "No one judged"]


def _header_row(sheet) -> int:
    return next(c.row for c in sheet["A"] if c.value == "Variable")


def test_workbook_to_the_analysis_function_standard(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "Latest extract dates: ndtms_secure 2024-03-31",
                        publisher="Test Team", publication_title="Test title", contact_email="t@example.org")  # fmt: skip
    book = openpyxl.load_workbook(out / "prp" / "inequality_breakdowns.xlsx")
    # a cover, contents and notes, then one table per sheet, each an Excel table; no merged cell anywhere
    assert book.sheetnames == ["Cover", "Contents", "Notes", "engaged_within_21_days", "er_successful_outcome"]
    assert all(not sheet.merged_cells.ranges for sheet in book.worksheets)
    assert [list(book[n].tables) for n in book.sheetnames[1:]] == [
        ["contents_table"],
        ["notes_table"],
        ["table_1_engaged_within_21_days"],
        ["table_2_er_successful_outcome"],
    ]
    cover = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if c]
    assert cover[0] == "Test title: inequality breakdowns" and "Email: t@example.org" in cover
    contents = [c for row in book["Contents"].iter_rows(values_only=True) for c in row if c]
    assert "engaged_within_21_days" in contents and "er_successful_outcome" in contents
    sheet = book["engaged_within_21_days"]
    texts = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    # a citable source: the publication's title, publisher and date; the legend of [c]
    assert any(t.startswith("Source: Test title, Test Team, published ") for t in texts)
    assert any(t.startswith("[c] = confidential") for t in texts)
    assert any(t.startswith("Period: releases from 1 April 2023 to 31 March 2024, all years pooled.") for t in texts)
    header = _header_row(sheet)
    assert [c.value for c in sheet[header]] == [
        "Variable",
        "Category",
        "Number of observations",
        "Outcome mean, unadjusted (%)",
        "Lower 95% CI, unadjusted (%)",
        "Upper 95% CI, unadjusted (%)",
        "Outcome mean, adjusted (%)",
        "Lower 95% CI, adjusted (%)",
        "Upper 95% CI, adjusted (%)",
        "Variation (SD, unadjusted)",
        "Value note",
    ]
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=header + 1)}
    # Male as published: n 100, crude 0.40 (0.31-0.50), adjusted 0.41 (0.31-0.50), sd 0.4924: the table's own
    # numbers, shown as percentages (0.0%) as PHOF shows rates
    male = rows[("Sex", "Male")]
    assert [c.value for c in male][:10] == ["Sex", "Male", 100, 0.4, 0.31, 0.5, 0.41, 0.31, 0.5, 0.4924]
    assert [c.number_format for c in male[2:10]] == ["#,##0", *["0.0%"] * 6, "0.000"]
    # Female hidden: [c] in every figure, the note says why; Not stated has no adjusted row: [x]
    assert [c.value for c in rows[("Sex", "Female")]] == ["Sex", "Female", *["[c]"] * 8, SUPPRESSED]
    assert [c.value for c in rows[("Sex", "Not stated")]][6:9] == ["[x]"] * 3
    assert rows[("Total", "All")][10].value == "None"  # a row with no note says so, never a blank cell
    assert sheet.freeze_panes == f"C{header + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
    notes = [c for row in book["Notes"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("Counts of 1 to 7, and cells that would reveal them, are hidden." in n for n in notes)
    assert any("Latest extract dates: ndtms_secure 2024-03-31" in n for n in notes)


def test_workbook_says_synthetic_on_every_sheet(publication, tmp_path):
    (publication / "notes.json").write_text('{"synthetic": true, "published_at": "20260101T000000Z"}')
    out = write_exports(publication, tmp_path / "out", "Latest extract dates: ndtms_secure 2024-03-31")
    book = openpyxl.load_workbook(out / "prp" / "inequality_breakdowns.xlsx")
    for sheet in book.worksheets:
        cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
        assert any("Synthetic data - not real statistics" in c for c in cells), sheet.title
    table = {str(c) for row in book["engaged_within_21_days"].iter_rows(values_only=True) for c in row if c}
    assert any("published 1 January 2026" in c for c in table)  # the source, dated from notes.json


def test_phof_exports_show_the_publication_as_it_is(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "v")
    rows = read_csv(out / "phof" / "phof_c20.csv")
    note = rows[0].index("value_note")
    # England exact; Bradford's hidden pending is empty; Leeds hidden whole; Wakefield has no
    # releases: an empty value and the note that says why (a hidden count is empty too: the
    # note tells the two apart)
    assert [r[4:10] + [r[note]] for r in rows[1:]] == [
        ["E92000001", "England", "160", "64", "5", "40.0", "Provisional: releases still pending"],
        ["E08000032", "Bradford", "100", "40", "", "40.0", f"Provisional: releases still pending; {SUPPRESSED}"],
        ["E08000035", "Leeds", "", "", "0", "", SUPPRESSED],
        ["E08000036", "Wakefield", "0", "0", "0", "", "No releases"],
    ]
    assert not (out / "phof" / "continuity_flows.csv").exists()  # a partner table


def test_the_partner_flows_export_shows_the_partner_tier_as_it_is(publication, tmp_path):
    import shutil

    from pipelines.exports import write_partner_exports
    from pipelines.publish import PARTNER_NAME

    partner = tmp_path / "partner"
    partner.mkdir()
    shutil.copy(publication / "marts.duckdb", partner / PARTNER_NAME)  # the fixture's flows table
    out = write_partner_exports(partner, tmp_path / "partner-exports")
    flows = read_csv(out / "continuity_flows.csv")
    # each prison's named areas, then its Other areas row, then each area's Other prisons row;
    # a hidden count is empty, a rate rounded to 1 decimal (36.36 -> 36.4)
    assert [r[3:12] for r in flows] == [
        [
            "flow_type",
            "estab_code",
            "prison_name",
            "exit_la_code",
            "la_name",
            "releases",
            "engaged",
            "pending",
            "value_pct",
        ],
        ["pair", "LEI", "HMP Leeds", "E08000035", "Leeds", "55", "20", "10", "36.4"],
        ["other_areas", "LEI", "HMP Leeds", "", "Other areas", "15", "5", "0", "33.3"],
        ["other_prisons", "", "Other prisons", "E08000035", "Leeds", "10", "", "0", ""],
    ]


def test_the_fingertips_export_has_exactly_the_fingertips_columns(publication, tmp_path):
    out = write_exports(publication, tmp_path / "out", "v")
    rows = read_csv(out / "phof" / "phof_c20_fingertips.csv")
    assert rows[0] == [
        "Indicator ID",
        "Indicator Name",
        "Parent Code",
        "Parent Name",
        "Area Code",
        "Area Name",
        "Area Type",
        "Sex",
        "Age",
        "Category Type",
        "Category",
        "Time period",
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
        "Lower CI 99.8 limit",
        "Upper CI 99.8 limit",
        "Count",
        "Denominator",
        "Value note",
        "Recent Trend",
        "Compared to England value or percentiles",
        "Compared to Region value or percentiles",
        "Time period Sortable",
        "New data",
        "Compared to goal",
    ]
    bradford = dict(zip(rows[0], rows[2], strict=True))
    # the local ID of dbt_project.yml; Bradford's parent is its region (no region row in this
    # little publication, so no name); its hidden pending count is not a Fingertips column
    assert (bradford["Indicator ID"], bradford["Area Type"], bradford["Parent Code"]) == (
        "990216",
        "Upper tier local authority",
        "E12000003",
    )
    assert [bradford[c] for c in ("Time period", "Value", "Lower CI 99.8 limit", "Count", "Denominator")] == [
        "2023/24",
        "40.0",
        "26.2",
        "40",
        "100",
    ]
    assert bradford["Compared to England value or percentiles"] == "Similar"
    # Leeds is hidden: empty figures and the note that says why
    leeds = dict(zip(rows[0], rows[3], strict=True))
    assert [leeds[c] for c in ("Value", "Count", "Denominator", "Value note")] == ["", "", "", SUPPRESSED]
    assert dict(zip(rows[0], rows[1], strict=True))["Parent Code"] == ""  # England has no parent


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+44", "'+44"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("Leeds", "Leeds"), (12, 12)],
)
def test_formula_injection_is_neutralised(value, expected):
    assert neutralise(value) == expected


def test_breakdown_labels_come_from_the_seed_and_cover_the_dbt_variables():
    from pipelines.disclosure import project_vars
    from pipelines.exports import outcome_labels, variable_labels

    labels = variable_labels()
    # the seed names each variable of the dbt var once, in the var's order (total first)
    assert list(labels) == project_vars()["inequality_variables"]
    assert labels["total"] == "Total" and labels["imd_quintile"] == "IMD quintile (1 = most deprived)"
    # the window in the title is the dbt var's (21 days in dbt_project.yml)
    assert "within 21 days" in outcome_labels()["engaged_within_21_days"]
