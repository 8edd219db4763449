"""Files for people who receive files rather than query: the PRP breakdown tables (CSV and
one Excel workbook) and the PHOF 2.16 tables (CSV), written from the open publication.

Disclosure control is not done here: the publication's tables are already controlled, once,
by the dbt models under models/publication/ (docs/disclosure.md). This module only formats:
a hidden count (NULL in the publication) is shown as `*`, a value that is not a number is
empty or `*` with its value note beside it, and rates are rounded for reading. Excel is
written with xlsxwriter (DuckDB's excel extension downloads at run time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import SEEDS_DIR
from pipelines.disclosure import SUPPRESSED, project_vars, rules_from_project

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
    days = project_vars()["engagement_window_days"]
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
    "continuity_flows": {
        # each prison's named areas, then its "Other areas" row; then each area's "Other prisons" row
        "order": "period_type, period_start, estab_code nulls last, exit_la_code nulls last",
        "counts": ["releases", "engaged", "pending"],
        "rates": {"value_pct": 1},
    },
}


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


def shown(df: pl.DataFrame, counts: list[str], rates: dict[str, int], note: str = "value_note") -> pl.DataFrame:
    """Counts and rates as the text a reader sees: a hidden count is `*`; a rate is `*` when
    it is hidden (its value note starts with the suppression note), empty when there is no
    value for another reason (the value note says which), else rounded to its decimals."""
    suppressed = pl.col(note).fill_null("").str.starts_with(rules_from_project().note("suppressed"))
    return df.with_columns(
        *(
            pl.when(pl.col(c).is_null()).then(pl.lit(SUPPRESSED)).otherwise(pl.col(c).cast(pl.String)).alias(c)
            for c in counts
        ),
        *(
            pl.when(suppressed & pl.col(r).is_null())
            .then(pl.lit(SUPPRESSED))
            .when(pl.col(r).is_null())
            .then(pl.lit(""))
            .otherwise(pl.col(r).round(d).map_elements(lambda v, d=d: f"{v:.{d}f}", return_dtype=pl.String))
            .alias(r)
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


def phof_tables(con) -> dict[str, pl.DataFrame]:
    tables = {}
    for name, spec in PHOF_TABLES.items():
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


def _notes(vintage: str, min_count: int, rounding_base: int) -> list[tuple[str, str]]:
    return [
        (
            "What this is",
            "One-way health-inequality breakdowns of the main outcomes, as the NIHR Policy Research "
            "Programme asks (Appendix A of the Enhanced RECONNECT evaluation call).",
        ),
        ("Outcome mean", "The proportion of people with the outcome (0 to 1)."),
        ("Number of observations", "People in the category whose outcome is known (pending windows left out)."),
        ("Variation", "The standard deviation of the outcome."),
        (
            "Adjusted",
            "Directly age-and-sex standardised to the age band x sex structure of everyone with that "
            "outcome; shown with the same rounded number of observations as the unadjusted row.",
        ),
        (
            f"Engaged within {project_vars()['engagement_window_days']} days",
            "PHOF 2.16 / C20: released adults with a treatment need who started structured "
            f"community treatment 0-{project_vars()['engagement_window_days']} days after leaving prison.",
        ),
        (
            "Successful outcome",
            "Enhanced RECONNECT: the first community healthcare appointment met the need, or the "
            "person was engaged with services 9-12 months after release.",
        ),
        (
            "Disclosure control",
            f"Below national level, counts of 1-{min_count - 1} are shown as *, other counts "
            f"are rounded to the nearest {rounding_base}, and where one cell of a variable is suppressed "
            "the next smallest is suppressed too. Unadjusted means, intervals and standard deviations "
            "are computed from the rounded counts, so they reveal nothing the rounded counts do not.",
        ),
        ("*", "Suppressed: small numbers. Every cell that is not a number has a value note saying why."),
        ("Period and data vintage", vintage),
        ("Produced", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") + " by the continuity pipeline"),
    ]


WIDE_COLUMNS = {  # header: (column of the wide table, number format)
    "Variable": ("variable", None),
    "Category": ("category", None),
    "Number of observations": ("n", "#,##0"),
    "Outcome mean, unadjusted": ("mean", "0.000"),
    "Lower 95% CI, unadjusted": ("lower_ci95", "0.000"),
    "Upper 95% CI, unadjusted": ("upper_ci95", "0.000"),
    "Outcome mean, adjusted": ("mean_adj", "0.000"),
    "Lower 95% CI, adjusted": ("lower_ci95_adj", "0.000"),
    "Upper 95% CI, adjusted": ("upper_ci95_adj", "0.000"),
    "Variation (SD, unadjusted)": ("sd", "0.000"),
    "Value note": ("value_note", None),
}
HEADER_ROW = 6  # rows above it: title, period and source, legend, synthetic note, group labels
SYNTHETIC_NOTE = "Synthetic data - not real statistics"


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


def _cell(sheet, row: int, col: int, value, number_format, hidden: bool) -> None:
    """Numbers as numbers (with a number format); a hidden value as `*`, a missing one empty."""
    if value is None:
        if hidden:
            sheet.write_string(row, col, SUPPRESSED)
        return
    if number_format is None:
        sheet.write_string(row, col, str(neutralise(value)))
    else:
        sheet.write_number(row, col, float(value), number_format)


def _legend(min_count: int, rounding_base: int) -> str:
    """The legend every sheet carries, from the disclosure rules as declared."""
    return (
        f"* = suppressed (small numbers: counts of 1-{min_count - 1}); other counts rounded to the nearest "
        f"{rounding_base}. Means are proportions (0 to 1) with 95% confidence intervals. An empty cell has "
        "its reason in the Value note column. More in the Notes sheet."
    )


def _sheet_head(sheet, styles: dict, outcome: str, context: dict) -> None:
    """Title, period and source, legend, synthetic warning, then the two header rows."""
    last = len(WIDE_COLUMNS) - 1  # text rows merged across the table and wrapped: the print stays one page wide
    sheet.write_string(0, 0, outcome_labels().get(outcome, outcome), styles["title"])
    sheet.merge_range(1, 0, 1, last, f"{context['period']} {context['source']}", styles["wrap"])
    sheet.merge_range(2, 0, 2, last, context["legend"], styles["wrap"])
    sheet.set_row(1, 48)
    sheet.set_row(2, 32)
    if context["synthetic"]:
        sheet.write_string(3, 0, SYNTHETIC_NOTE, styles["warn"])
    sheet.merge_range(HEADER_ROW - 1, 3, HEADER_ROW - 1, 5, "Unadjusted", styles["group"])
    sheet.merge_range(HEADER_ROW - 1, 6, HEADER_ROW - 1, 8, "Adjusted (directly age-sex standardised)", styles["group"])
    for col, name in enumerate(WIDE_COLUMNS):
        sheet.write_string(HEADER_ROW, col, name, styles["header"])


def _sheet_setup(sheet, context: dict) -> None:
    """Frozen headers, widths, and a print setup: A4 landscape, one page wide, headers repeated."""
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 34)
    sheet.set_column(2, 9, 14)
    sheet.set_column(10, 10, 40)
    sheet.set_row(HEADER_ROW, 45)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW - 1, HEADER_ROW)
    warn = f'&L&"-,Bold"&KDA291C{SYNTHETIC_NOTE}' if context["synthetic"] else ""
    sheet.set_header(warn)
    sheet.set_footer("&L" + context["legend_short"] + "&RPage &P of &N")


def _write_sheet(workbook, styles: dict, outcome: str, table: pl.DataFrame, context: dict) -> None:
    """One outcome: numbers as numbers, `*` for a hidden one, its print setup."""
    sheet = workbook.add_worksheet(outcome[:31])
    _sheet_head(sheet, styles, outcome, context)
    suppressed = context["suppressed_note"]
    for r, row in enumerate(table.iter_rows(named=True), start=HEADER_ROW + 1):
        hidden = (row["value_note"] or "").startswith(suppressed)
        for col, (column, number_format) in enumerate(WIDE_COLUMNS.values()):
            fmt = styles["formats"].get(number_format) if number_format else None
            _cell(sheet, r, col, row[column], fmt if number_format else None, hidden and number_format is not None)
    _sheet_setup(sheet, context)


def _write_workbook(path: Path, tables: dict, vintage: str, min_count: int, rounding_base: int,
                    context: dict | None = None) -> None:  # fmt: skip
    """The PRP workbook: a sheet per outcome, adjusted beside unadjusted, and a Notes sheet;
    every sheet states the period and source and carries the legend (and the synthetic note)."""
    import xlsxwriter

    context = {"period": "", "source": f"Source: open publication ({vintage}).", "synthetic": False} | (context or {})
    context |= {"legend": _legend(min_count, rounding_base), "suppressed_note": rules_from_project().note("suppressed"),
                "legend_short": f"* = suppressed (small numbers). {context['source']}"[:200]}  # fmt: skip
    workbook = xlsxwriter.Workbook(str(path))
    styles = {
        "title": workbook.add_format({"bold": True, "font_size": 13}),
        "warn": workbook.add_format({"bold": True, "font_color": "#DA291C", "font_size": 12}),
        "group": workbook.add_format({"bold": True, "align": "center", "bottom": 1}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "header": workbook.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1}),
        "formats": {f: workbook.add_format({"num_format": f}) for f in ("#,##0", "0.000")},
    }
    for outcome, table in tables.items():
        _write_sheet(workbook, styles, outcome, table, context)
    notes = workbook.add_worksheet("Notes")
    notes.set_column(0, 0, 26)
    notes.set_column(1, 1, 100)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    rows = [("Legend", context["legend"]), ("Period", context["period"]), ("Source", context["source"])]
    if context["synthetic"]:
        rows.insert(0, ("Synthetic data", SYNTHETIC_NOTE))
    for r, (name, text) in enumerate(rows + _notes(vintage, min_count, rounding_base)):
        notes.write_string(r, 0, name, workbook.add_format({"bold": True, "valign": "top"}))
        notes.write_string(r, 1, text, wrap)
    notes.set_landscape()
    notes.fit_to_pages(1, 0)
    workbook.close()


def _context(con, published: Path, vintage: str) -> dict:
    """Period, source and the synthetic flag of a publication, for every sheet."""
    first, last = con.sql(
        "select min(period_start), max(period_end) from marts.phof_c20 "
        "where geography_type = 'england' and period_type = 'financial_year'"
    ).fetchall()[0]
    notes_path = published / "notes.json"
    notes = json.loads(notes_path.read_text()) if notes_path.exists() else {}
    stamp = notes.get("published_at", "")
    period = (
        f"Period: releases from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}, all years pooled."
        if first
        else "Period: no releases judged."
    )
    return {
        "period": period,
        "source": f"Source: open publication {stamp} (table inequality_breakdowns). {vintage}".replace("  ", " "),
        "synthetic": bool(notes.get("synthetic")),
    }


def write_exports(published: Path, exports: Path, vintage: str) -> Path:
    """Write every export of an open publication folder into `exports` (a new folder inside
    the publication being built: pipelines/publish.py swaps it in with the marts)."""
    rules = rules_from_project()
    (exports / "prp").mkdir(parents=True)
    (exports / "phof").mkdir()
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        prp = prp_tables(con)
        wide = prp_wide(con)
        context = _context(con, published, vintage)
        phof = phof_tables(con)
        fingertips = fingertips_table(con)
    finally:
        con.close()
    for (outcome, adjusted), table in prp.items():
        _safe(table).write_csv(exports / "prp" / f"{outcome}_{'adjusted' if adjusted else 'unadjusted'}.csv")
    _write_workbook(
        exports / "prp" / "inequality_breakdowns.xlsx", wide, vintage, rules.min_count, rules.rounding_base, context
    )
    for name, table in phof.items():
        _safe(table).write_csv(exports / "phof" / f"{name}.csv")
    _safe(fingertips).write_csv(exports / "phof" / "phof_c20_fingertips.csv")
    return exports
