"""Files for people who receive files rather than query: the PRP breakdown tables (CSV and
one Excel workbook) and the PHOF 2.16 tables (CSV), written from the open tier; the partner
tier's tables as CSV, written from the partner tier.

Disclosure control is not done here: the tiers' tables are already controlled, once, by the
dbt models under models/publication/ (docs/disclosure.md). This module only formats: a value
that is not a number (a hidden count, NULL in the tables) is an empty cell in a CSV with its
value note beside it, `[c]` (hidden) or `[x]` (not available) in the workbook, and rates are
rounded for reading. Excel is written with gptables (DuckDB's excel extension downloads at
run time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import SEEDS_DIR
from pipelines.disclosure import project_vars, rules_from_project
from pipelines.project import window_days
from pipelines.reports import CONTACT_EMAIL, PUBLICATION_TITLE, PUBLISHER

BREAKDOWN_SEED = "breakdown_variables"  # seeds/breakdown_variables.csv: variable, label, order


@cache
def variable_labels() -> dict[str, str]:
    """Each breakdown variable's label, in table order, from the one place they are named
    (seeds/breakdown_variables.csv); the dbt var `inequality_variables` lists the same
    variables (a test keeps the two equal)."""
    table = pl.read_csv(SEEDS_DIR / f"{BREAKDOWN_SEED}.csv", infer_schema=False)
    table = table.sort(pl.col("order").cast(pl.Int32))
    return dict(zip(table["variable"], table["label"], strict=True))


@cache
def outcome_labels() -> dict[str, str]:
    """The outcomes' titles; the engagement window from its dbt var."""
    days = window_days()
    return {
        "engaged_within_21_days": f"Engaged in structured treatment within {days} days of release (PHOF 2.16 / C20)",
        "er_successful_outcome": "Enhanced RECONNECT successful outcome (need met or engaged at 12 months)",
    }


PRP_COLUMNS = ["Variable", "Category", "Outcome mean", "Number of observations", "Variation", "Value note"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHOF_TABLES = {
    "phof_c20": {
        "order": "period_type, period_start, geography_type, geography_code",
        "counts": ["denominator", "numerator", "pending"],
        "rates": {
            "value_pct": 1,
            "lower_ci95_pct": 1,
            "upper_ci95_pct": 1,
            "lower_ci998_pct": 1,
            "upper_ci998_pct": 1,
            "trend_chi_square": 2,
        },
    },
}
PARTNER_TABLES = {
    "continuity_flows": {
        # each prison's named areas, then its "Other areas" row; then each area's "Other prisons" row
        "order": "period_type, period_start, estab_code nulls last, exit_la_code nulls last",
        "counts": ["releases", "engaged", "pending"],
        "rates": {"value_pct": 1},
    },
    "audit_attrition": {
        "order": "period_type, period_start, geography_type, geography_code, split_type, split_value",
        "counts": ["transferred", "referral_received", "appointment_offered", "engaged", "not_engaged",
                   "referral_recording_gap", "appointment_recording_gap"],
        "rates": {"engaged_pct": 1},
    },
    "recording_issues_summary": {
        "order": "financial_year, provider_role, provider, issue_type",
        "counts": ["issues", "releases_affected", "releases_would_engage", "ambiguous_candidates"],
        "rates": {},
    },
    "er_outcomes_summary": {
        "order": "site, priority_group, outcome",
        "counts": ["n", "achieved", "pending", "not_known", "not_applicable", "site_referrals", "site_accepted",
                   "site_released"],
        "rates": {"value_pct": 1, "lower_ci95_pct": 1, "upper_ci95_pct": 1},
    },
}  # fmt: skip


FINGERTIPS_COLUMNS = [
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
AREA_TYPES = {
    "england": "England",
    "region": "Region",
    "local_authority": "Upper tier local authority",
    "prison": "Prison",
}


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.String).map_elements(neutralise, return_dtype=pl.String))


def shown(df: pl.DataFrame, counts: list[str], rates: dict[str, int]) -> pl.DataFrame:
    """Counts and rates as the text a reader sees: a count as it is, a rate rounded to its
    decimals, and a value that is not a number (hidden, or no value) empty, its row's value
    note saying why."""
    return df.with_columns(
        *(pl.col(c).cast(pl.String).fill_null("").alias(c) for c in counts),
        *(
            pl.col(r).round(d).map_elements(lambda v, d=d: f"{v:.{d}f}", return_dtype=pl.String).fill_null("").alias(r)
            for r, d in rates.items()
        ),
    )


def prp_tables(con) -> dict[tuple[str, bool], pl.DataFrame]:
    """One PRP table per (outcome, adjusted): Variable | Category | Outcome mean | Number of
    observations | Variation, with the value note of every cell that is not a number."""
    data = con.sql(
        "select outcome, adjusted, variable, category, n, mean, sd, value_note from marts.inequality_breakdowns"
    ).pl()
    order = {v: i for i, v in enumerate(variable_labels())}
    tables = {}
    for (outcome, adjusted), part in data.group_by(["outcome", "adjusted"], maintain_order=True):
        part = part.with_columns(_order=pl.col("variable").replace_strict(order, default=len(order))).sort(
            ["_order", "category"]
        )
        text = shown(part, counts=["n"], rates={"mean": 3, "sd": 3})
        tables[(outcome, adjusted)] = text.select(
            pl.col("variable").replace_strict(variable_labels(), default=pl.col("variable")).alias("Variable"),
            pl.col("category").alias("Category"),
            pl.col("mean").alias("Outcome mean"),
            pl.col("n").alias("Number of observations"),
            pl.col("sd").alias("Variation"),
            pl.col("value_note").alias("Value note"),
        )
    return tables


def phof_tables(con, specs: dict | None = None) -> dict[str, pl.DataFrame]:
    tables = {}
    for name, spec in (specs or PHOF_TABLES).items():
        data = con.sql(f"select * from marts.{name} order by {spec['order']}").pl()
        tables[name] = shown(data, spec["counts"], spec["rates"])
    return tables


def fingertips_table(con) -> pl.DataFrame:
    """marts.phof_c20 of the open publication in the layout of a Fingertips data download
    (docs/methodology.md): one row per area and period, the published (controlled) figures,
    an empty cell with its value note where a figure is not shown, comparisons at 95%."""
    v = project_vars()
    c20 = con.sql(
        "select * from marts.phof_c20 order by period_type, period_sort_key, "
        "case geography_type when 'england' then 0 when 'region' then 1 when 'local_authority' then 2 else 3 end, "
        "geography_code"
    ).pl()
    regions = (
        c20.filter(pl.col("geography_type") == "region")
        .select(pl.col("geography_code").alias("parent_region_code"), pl.col("geography_name").alias("_region_name"))
        .unique()
    )
    england = v["england_code"]
    c20 = c20.join(regions, on="parent_region_code", how="left")
    is_england = pl.col("geography_type") == "england"
    parent_code = pl.when(is_england).then(None).otherwise(pl.coalesce("parent_region_code", pl.lit(england)))
    parent_name = pl.when(is_england).then(None).otherwise(pl.coalesce("_region_name", pl.lit("England")))

    def number(column: str, decimals: int | None = None) -> pl.Expr:
        value = pl.col(column).round(decimals) if decimals is not None else pl.col(column)
        return value.cast(pl.String)

    return c20.select(
        pl.lit(str(v["fingertips_indicator_id"])).alias("Indicator ID"),
        pl.lit(v["fingertips_indicator_name"]).alias("Indicator Name"),
        parent_code.alias("Parent Code"),
        parent_name.alias("Parent Name"),
        pl.col("geography_code").alias("Area Code"),
        pl.col("geography_name").alias("Area Name"),
        pl.col("geography_type").replace_strict(AREA_TYPES, default=pl.col("geography_type")).alias("Area Type"),
        pl.lit("Persons").alias("Sex"),
        pl.lit(f"{v['adult_age']}+ yrs").alias("Age"),
        pl.lit(None, pl.String).alias("Category Type"),
        pl.lit(None, pl.String).alias("Category"),
        pl.col("period_label").alias("Time period"),
        number("value_pct", 1).alias("Value"),
        number("lower_ci95_pct", 1).alias("Lower CI 95.0 limit"),
        number("upper_ci95_pct", 1).alias("Upper CI 95.0 limit"),
        number("lower_ci998_pct", 1).alias("Lower CI 99.8 limit"),
        number("upper_ci998_pct", 1).alias("Upper CI 99.8 limit"),
        number("numerator").alias("Count"),
        number("denominator").alias("Denominator"),
        pl.col("value_note").alias("Value note"),
        pl.col("recent_trend").alias("Recent Trend"),
        pl.col("compared_with_england_95").alias("Compared to England value or percentiles"),
        pl.col("compared_with_region_95").alias("Compared to Region value or percentiles"),
        pl.col("period_sort_key").cast(pl.String).alias("Time period Sortable"),
        pl.lit(None, pl.String).alias("New data"),
        pl.lit(None, pl.String).alias("Compared to goal"),
    )


WIDE_COLUMNS = {  # header: (column of the wide table, number format); rates as percentages, as PHOF shows them
    "Variable": ("variable", None),
    "Category": ("category", None),
    "Number of observations": ("n", "#,##0"),
    "Outcome mean, unadjusted (%)": ("mean", "0.0%"),
    "Lower 95% CI, unadjusted (%)": ("lower_ci95", "0.0%"),
    "Upper 95% CI, unadjusted (%)": ("upper_ci95", "0.0%"),
    "Outcome mean, adjusted (%)": ("mean_adj", "0.0%"),
    "Lower 95% CI, adjusted (%)": ("lower_ci95_adj", "0.0%"),
    "Upper 95% CI, adjusted (%)": ("upper_ci95_adj", "0.0%"),
    "Variation (SD, unadjusted)": ("sd", "0.000"),
    "Value note": ("value_note", None),
}
ADJUSTED = {"mean_adj", "lower_ci95_adj", "upper_ci95_adj"}  # read with the adjusted row's value note
SYNTHETIC_NOTE = "Synthetic data - not real statistics"
HIDDEN, MISSING, NO_NOTE = "[c]", "[x]", "None"  # Analysis Function symbols; a row with no value note


def prp_wide(con) -> dict[str, pl.DataFrame]:
    """One table per outcome with the adjusted figures beside the unadjusted, as numbers
    (NULL where the publication hides or has no value; the value note says which)."""
    data = con.sql(
        "select outcome, adjusted, variable, category, n, mean, lower_ci95, upper_ci95, sd, value_note "
        "from marts.inequality_breakdowns"
    ).pl()
    order = {v: i for i, v in enumerate(variable_labels())}
    keys = ["outcome", "variable", "category"]
    crude = data.filter(~pl.col("adjusted")).drop("adjusted")
    adjusted = data.filter(pl.col("adjusted")).select(
        *keys, *(pl.col(c).alias(f"{c}_adj") for c in ("mean", "lower_ci95", "upper_ci95", "value_note"))
    )
    wide = crude.join(adjusted, on=keys, how="left").with_columns(
        pl.when(
            pl.col("value_note_adj").is_not_null() & (pl.col("value_note_adj") != pl.col("value_note").fill_null(""))
        )
        .then(
            pl.concat_str(
                pl.col("value_note").fill_null(""), pl.lit(" Adjusted: "), pl.col("value_note_adj")
            ).str.strip_chars()
        )
        .otherwise(pl.col("value_note"))
        .alias("value_note"),
        _order=pl.col("variable").replace_strict(order, default=len(order)),
        variable=pl.col("variable").replace_strict(variable_labels(), default=pl.col("variable")),
    )
    outcomes = sorted(
        wide["outcome"].unique(), key=lambda o: (list(outcome_labels()).index(o) if o in outcome_labels() else 99, o)
    )
    return {o: wide.filter(pl.col("outcome") == o).sort(["_order", "category"]) for o in outcomes}


def _hidden(value, note: str | None, column: str) -> bool:
    """A NULL cell the publication hides (its value note says so; pipelines/reports/tiers.py)."""
    from pipelines.reports.tiers import is_hidden

    return is_hidden(value, note, column)


def _sheet_frame(table: pl.DataFrame):
    """One outcome's table as the sheet shows it: numbers as numbers, [c] for a hidden value,
    [x] for one missing for another reason (the value note says why)."""
    import pandas as pd

    rows = []
    for row in table.iter_rows(named=True):
        out = {}
        for header, (column, number_format) in WIDE_COLUMNS.items():
            value = row[column]
            if number_format is None:
                empty = NO_NOTE if column == "value_note" else ""
                out[header] = neutralise(value) if value not in (None, "") else empty
                continue
            note = row["value_note_adj"] if column in ADJUSTED else row["value_note"]
            source = column.removesuffix("_adj") if column in ADJUSTED else column
            if value is None:
                out[header] = HIDDEN if _hidden(value, note, source) else MISSING
            else:
                out[header] = float(value) if number_format != "#,##0" else int(value)
        rows.append(out)
    return pd.DataFrame(rows, columns=list(WIDE_COLUMNS), dtype=object)


def _notes_table(vintage: str, rules, context: dict):
    """The Notes sheet: every note the tables refer to, in order."""
    import pandas as pd

    days = window_days()
    rounding = (
        f" Other counts below England are rounded to the nearest {rules.rounding_base}, and unadjusted means, "
        "intervals and standard deviations are computed from the rounded counts."
        if rules.rounding_base > 1
        else " Every other count is exact."
    )
    notes = [
        ("outcome", f"Engaged within {days} days (PHOF C20, formerly 2.16): released adults with a treatment need "
                    f"who started structured community treatment 0 to {days} days after leaving prison. Enhanced "
                    "RECONNECT successful outcome: the first community healthcare appointment met the need, or the "
                    "person was engaged with services 9 to 12 months after release."),
        ("mean", "Outcome mean: the percentage of people in the category with the outcome, with its 95% "
                 "confidence interval (Wilson). Variation: the standard deviation of the outcome (0 to 1)."),
        ("observations", "Number of observations: people in the category whose outcome is known (releases whose "
                         "window has not closed are left out)."),
        ("adjusted", "Adjusted: directly age-and-sex standardised to the age band by sex structure of everyone "
                     "with that outcome; shown with the same number of observations as the unadjusted row."),
        ("disclosure", f"[c] = confidential: hidden to protect people's privacy. Counts of 1 to "
                       f"{rules.min_count - 1}, and cells that would reveal them, are hidden.{rounding} [x] = not "
                       "available for another reason. Every cell that is not a number has a value note saying why."),
        ("source", f"{context['period']} {vintage} {context['citation']}".strip()),
    ]  # fmt: skip
    return pd.DataFrame(notes, columns=["Note reference", "Note text"])


def _tables(tables: dict, context: dict, synthetic: list[str]) -> dict:
    """One GPTable per outcome: title, instructions, legend, source and scope above the table."""
    import gptables as gpt

    sheets = {}
    for number, (outcome, table) in enumerate(tables.items(), start=1):
        frame = _sheet_frame(table)
        formats = [{"column": {"columns": [h for h, (_, f) in WIDE_COLUMNS.items() if f == fmt],
                               "format": {"num_format": fmt}}} for fmt in ("#,##0", "0.0%", "0.000")]  # fmt: skip
        # the notes' text set off from the right-aligned numbers before it (printed, they touched)
        formats.append({"column": {"columns": ["Value note"], "format": {"indent": 1}}})
        sheets[outcome[:31]] = gpt.GPTable(
            table=frame,
            table_name=f"table_{number}_{outcome}"[:250],
            title=f"Table {number}: {outcome_labels().get(outcome, outcome)}, by group $$outcome$$",
            subtitles=[*synthetic, context["period"] + " $$source$$"],
            instructions="This worksheet contains one table. Some cells refer to notes, which are on the Notes "
            "worksheet.",
            legend=[
                "[c] = confidential: hidden to protect privacy $$disclosure$$",
                "[x] = not available (the value note says why)",
            ],  # fmt: skip
            source=context["citation"],
            scope="Rates are percentages with 95% confidence intervals; adjusted rates are age-sex standardised "
            "$$mean$$ $$adjusted$$ $$observations$$",
            index_columns={2: 0},
            additional_formatting=formats,
        )
    return sheets


def _cover(vintage: str, context: dict, synthetic: list[str]):
    """The cover sheet: what the workbook is, the period, the symbols, a citable source, a contact."""
    import gptables as gpt

    return gpt.Cover(
        title=f"{context['title']}: inequality breakdowns",
        intro=[
            *synthetic,
            "One-way health-inequality breakdowns of the main outcomes (engagement in treatment "
            "after prison, Enhanced RECONNECT success), as the NIHR Policy Research Programme asks.",
            context["period"],
        ],  # fmt: skip
        about=[
            f"[c] = confidential: hidden to protect privacy. [x] = not available. Rates are percentages with 95% "
            f"confidence intervals. The Notes sheet says more. {vintage}",
            context["citation"],
        ],  # fmt: skip
        contact=[context["publisher"], context["contact"]] if context["contact"] else [context["publisher"]],
        width=100,
    )


def _workbook(path: Path, tables: dict, vintage: str, rules, context: dict) -> None:
    """The PRP workbook to the Analysis Function's spreadsheet standard, written with
    gptables (the Analysis Function's own library): a cover sheet, a contents sheet, a notes
    sheet, then one table per sheet as an Excel table; no merged cells; [c] for a hidden
    value with its legend; rates as percentages; a citable source on every sheet."""
    import gptables as gpt

    synthetic = [SYNTHETIC_NOTE] if context["synthetic"] else []
    sheets = _tables(tables, context, synthetic)
    cover = _cover(vintage, context, synthetic)
    import warnings

    notes = _notes_table(vintage, rules, context)
    with warnings.catch_warnings():  # gptables warns of empty cells: the tables have none
        warnings.simplefilter("ignore")
        workbook = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            contentsheet_options={"subtitles": synthetic} if synthetic else None,
            notes_table=notes,
            notesheet_options={"title": "Notes" + (f" ({SYNTHETIC_NOTE})" if synthetic else "")},
            auto_width={label: False for label in sheets} | {"Notes": False},
        )
    _lay_out(workbook, cover, notes, sheets)
    for sheet in workbook.worksheets():
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.set_footer(f"&L{context['title'][:120]}&RPage &P of &N")
        if synthetic:
            sheet.set_header(f'&L&"-,Bold"{SYNTHETIC_NOTE}')
    workbook.close()


NOTE_WIDTH, COVER_WIDTH = 100, 100  # characters: the Notes sheet's text column and the cover's


def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell of `width` characters needs for `text` (Arial 12 runs a little wider)."""
    import math

    return max(1, math.ceil(len(text) * 1.1 / width))


def _lay_out(workbook, cover, notes, sheets: dict) -> None:
    """Widths, wrapped rows' heights and frozen headers, so nothing prints over anything: a
    spreadsheet program keeps a row's height as written, and text wrapped in a row too short
    for it overprints the next row. gptables lays its sheets out in a fixed order (the cover:
    title, then each heading and its lines; the Notes sheet: title, instructions, header, one
    row per note in the order the tables refer to them)."""
    line = 16  # points a line of Arial 12 needs
    sheet = workbook.get_worksheet_by_name(cover.cover_label)
    row = 1  # the title is row 0
    for items in (cover.intro, cover.about, cover.contact):
        row += 1  # the section's heading
        for item in items or []:
            sheet.set_row(row, line * _lines(str(item), COVER_WIDTH))
            row += 1
    sheet = workbook.get_worksheet_by_name("Notes")
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, NOTE_WIDTH, workbook.add_format({"text_wrap": True, "valign": "top", "font_size": 12,
                                                            "font_name": "Arial"}))  # fmt: skip
    texts = dict(zip(notes["Note reference"], notes["Note text"], strict=True))
    for i, ref in enumerate(workbook._annotations):
        sheet.set_row(3 + i, line * _lines(texts.get(ref, ""), NOTE_WIDTH))
    widths = [28, 42, 14, 14, 14, 14, 14, 14, 14, 14, 40]  # the longest category fits on one line
    for label, table in sheets.items():
        sheet = workbook.get_worksheet_by_name(label)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        header = table.data_range[0]
        sheet.set_row(header, 3 * line)  # headers wrap onto three lines
        sheet.freeze_panes(header + 1, 2)  # headers stay in view
        for r, note in enumerate(table.table["Value note"], start=header + 1):
            if len(str(note)) > widths[-1]:
                sheet.set_row(r, line * _lines(str(note), widths[-1]))
        sheet.repeat_rows(header)


def _context(con, published: Path, vintage: str, publisher: str, title: str, contact: str) -> dict:
    """Period, citable source, publisher and the synthetic flag of a publication, for every sheet."""
    first, last = con.sql(
        "select min(period_start), max(period_end) from marts.phof_c20 "
        "where geography_type = 'england' and period_type = 'financial_year'"
    ).fetchall()[0]
    notes_path = published / "notes.json"
    notes = json.loads(notes_path.read_text()) if notes_path.exists() else {}
    stamp = notes.get("published_at", "")
    when = datetime.strptime(stamp[:8], "%Y%m%d").date() if stamp else datetime.now(UTC).date()
    period = (
        f"Period: releases from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}, all years pooled."
        if first
        else "Period: no releases judged."
    )
    return {
        "period": period,
        "citation": f"Source: {title}, {publisher}, published {when.day} {when:%B %Y} (table inequality_breakdowns).",
        "publisher": publisher,
        "title": title,
        "contact": f"Email: {contact}" if contact else "",
        "synthetic": bool(notes.get("synthetic")),
    }


def write_exports(published: Path, exports: Path, vintage: str, *, publisher: str = PUBLISHER,
                  publication_title: str = PUBLICATION_TITLE, contact_email: str = CONTACT_EMAIL) -> Path:  # fmt: skip
    """Write every export of an open publication folder into `exports` (a new folder inside
    the publication being built: pipelines/publish.py swaps it in with the marts). The
    organisation's details go on the workbook's cover and every sheet's source."""
    rules = rules_from_project()
    (exports / "prp").mkdir(parents=True)
    (exports / "phof").mkdir()
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        prp = prp_tables(con)
        wide = prp_wide(con)
        context = _context(con, published, vintage, publisher, publication_title, contact_email)
        phof = phof_tables(con)
        fingertips = fingertips_table(con)
    finally:
        con.close()
    for (outcome, adjusted), table in prp.items():
        _safe(table).write_csv(exports / "prp" / f"{outcome}_{'adjusted' if adjusted else 'unadjusted'}.csv")
    _workbook(exports / "prp" / "inequality_breakdowns.xlsx", wide, vintage, rules, context)
    for name, table in phof.items():
        _safe(table).write_csv(exports / "phof" / f"{name}.csv")
    _safe(fingertips).write_csv(exports / "phof" / "phof_c20_fingertips.csv")
    return exports


def write_partner_exports(partner: Path, exports: Path) -> Path:
    """Every table of a partner-tier folder as CSV into `exports` (inside the partner folder
    being built): for partners who receive files rather than query."""
    from pipelines.publish import PARTNER_NAME

    exports.mkdir(parents=True)
    con = duckdb.connect()
    try:
        path = str(partner / PARTNER_NAME).replace("'", "''")
        con.execute(f"attach '{path}' as marts (read_only)")  # every table as marts.<table>
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'marts'"
            ).fetchall()
        }
        tables = phof_tables(con, {name: spec for name, spec in PARTNER_TABLES.items() if name in present})
    finally:
        con.close()
    for name, table in tables.items():
        _safe(table).write_csv(exports / f"{name}.csv")
    return exports
