"""Files for people who receive files rather than query: the PRP breakdown tables (CSV and
one Excel workbook) and the PHOF 2.16 tables (CSV), all disclosure controlled, written from
the validated publication only. Excel is written with xlsxwriter (DuckDB's excel extension
downloads at run time)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.disclosure import Rules, control, rules_from_project

VARIABLE_LABELS = {
    "total": "Total",
    "age_band": "Age band",
    "sex": "Sex",
    "gender": "Gender",
    "disability": "Disability",
    "region": "Region",
    "ethnic_group": "Ethnic group (ONS 5 groups)",
    "imd_quintile": "IMD quintile (1 = most deprived)",
}
OUTCOME_LABELS = {
    "engaged_within_21_days": "Engaged in structured treatment within 21 days of release (PHOF 2.16 / C20)",
    "er_successful_outcome": "Enhanced RECONNECT successful outcome (need met or engaged at 12 months)",
}
PRP_COLUMNS = ["Variable", "Category", "Outcome mean", "Number of observations", "Variation"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.String).map_elements(neutralise, return_dtype=pl.String))


def prp_tables(con, rules: Rules) -> dict[tuple[str, bool], pl.DataFrame]:
    """One disclosure-controlled PRP table per (outcome, adjusted)."""
    data = con.sql("select outcome, adjusted, variable, category, n, mean, sd from marts.inequality_breakdowns").pl()
    order = list(VARIABLE_LABELS)
    tables = {}
    for (outcome, adjusted), part in data.group_by(["outcome", "adjusted"], maintain_order=True):
        part = part.with_columns(_order=pl.col("variable").map_elements(order.index, return_dtype=pl.Int32)).sort(
            ["_order", "category"]
        )
        shown = control(
            part.drop("_order"),
            base="n",
            counts=[],
            rates={"mean": 3, "sd": 3},
            group_by=["variable"],
            national=pl.col("variable") == "total",
            rules=rules,
        )
        tables[(outcome, adjusted)] = shown.select(
            pl.col("variable").replace_strict(VARIABLE_LABELS, default=pl.col("variable")).alias("Variable"),
            pl.col("category").alias("Category"),
            pl.col("mean").alias("Outcome mean"),
            pl.col("n").alias("Number of observations"),
            pl.col("sd").alias("Variation"),
        )
    return tables


def phof_tables(con, rules: Rules) -> dict[str, pl.DataFrame]:
    c20 = con.sql(
        "select period_type, period_start, period_end, geography_type, geography_code, geography_name, "
        "denominator, numerator, pending, value_pct, lower_ci95_pct, upper_ci95_pct from marts.phof_c20 "
        "order by period_type, period_start, geography_type, geography_code"
    ).pl()
    flows = con.sql(
        "select period_type, period_start, period_end, estab_code, exit_la_code, releases, engaged, pending, "
        "value_pct from marts.continuity_flows order by period_type, period_start, estab_code, exit_la_code"
    ).pl()
    return {
        "phof_c20": control(
            c20,
            base="denominator",
            counts=["numerator", "pending"],
            rates={"value_pct": 1, "lower_ci95_pct": 1, "upper_ci95_pct": 1},
            group_by=["period_type", "period_start", "geography_type"],
            national=pl.col("geography_type") == "england",
            rules=rules,
        ),
        "continuity_flows": control(
            flows,
            base="releases",
            counts=["engaged", "pending"],
            rates={"value_pct": 1},
            group_by=["period_type", "period_start", "estab_code"],
            rules=rules,
        ),
    }


def _notes(vintage: str, rules: Rules) -> list[tuple[str, str]]:
    return [
        (
            "What this is",
            "One-way health-inequality breakdowns of the main outcomes, as the NIHR Policy Research "
            "Programme asks (Appendix A of the Enhanced RECONNECT evaluation call).",
        ),
        ("Outcome mean", "The proportion of people with the outcome (0 to 1)."),
        ("Number of observations", "People in the category whose outcome is known (pending windows left out)."),
        (
            "Variation",
            "The standard deviation of the outcome; for adjusted rows sqrt(n x variance of the adjusted mean).",
        ),
        (
            "Adjusted",
            "Directly age-and-sex standardised to the age band x sex structure of everyone with that "
            "outcome; a stratum with no one in the category is left out and the other weights rescaled.",
        ),
        (
            "Engaged within 21 days",
            "PHOF 2.16 / C20: released adults with a treatment need who started structured "
            "community treatment 0-21 days after leaving prison.",
        ),
        (
            "Successful outcome",
            "Enhanced RECONNECT: the first community healthcare appointment met the need, or the "
            "person was engaged with services 9-12 months after release.",
        ),
        (
            "Disclosure control",
            f"Below national level, counts of 1-{rules.min_count - 1} are shown as *, other counts "
            f"are rounded to the nearest {rules.rounding_base}, a mean based on fewer than "
            f"{rules.min_count} observations is *, and where one cell of a variable is suppressed "
            "the next smallest is suppressed too. Means are computed on unrounded counts.",
        ),
        ("Period and data vintage", vintage),
        ("Produced", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") + " by the continuity pipeline"),
    ]


def _write_workbook(path: Path, tables: dict, vintage: str, rules: Rules) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 13})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for outcome in dict.fromkeys(o for o, _ in tables):
        sheet = workbook.add_worksheet(outcome[:31])
        sheet.write_string(0, 0, OUTCOME_LABELS.get(outcome, outcome), title)
        row = 2
        for adjusted in (False, True):
            table = tables.get((outcome, adjusted))
            if table is None:
                continue
            label = "Adjusted (directly age-sex standardised)" if adjusted else "Unadjusted"
            sheet.write_string(row, 0, label, bold)
            row += 1
            for col, name in enumerate(PRP_COLUMNS):
                sheet.write_string(row, col, name, bold)
            for values in _safe(table).iter_rows():
                row += 1
                for col, value in enumerate(values):
                    sheet.write_string(row, col, "" if value is None else str(value))
            row += 2
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 42)
        sheet.set_column(2, 4, 22)
    notes = workbook.add_worksheet("Notes")
    notes.set_column(0, 0, 26)
    notes.set_column(1, 1, 100)
    for r, (name, text) in enumerate(_notes(vintage, rules)):
        notes.write_string(r, 0, name, bold)
        notes.write_string(r, 1, text, wrap)
    workbook.close()


def write_exports(published: Path, output: Path, vintage: str, rules: Rules | None = None) -> Path:
    """Write every export from the publication into <output>/exports, replacing the old set."""
    rules = rules or rules_from_project()
    for leftover in output.glob(".exports.*"):  # a run killed while writing exports
        shutil.rmtree(leftover, ignore_errors=True)
    building = output / f".exports.{os.getpid()}.building"
    (building / "prp").mkdir(parents=True)
    (building / "phof").mkdir()
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        prp = prp_tables(con, rules)
        phof = phof_tables(con, rules)
    finally:
        con.close()
    for (outcome, adjusted), table in prp.items():
        _safe(table).write_csv(building / "prp" / f"{outcome}_{'adjusted' if adjusted else 'unadjusted'}.csv")
    _write_workbook(building / "prp" / "inequality_breakdowns.xlsx", prp, vintage, rules)
    for name, table in phof.items():
        _safe(table).write_csv(building / "phof" / f"{name}.csv")
    final = output / "exports"
    old = output / f".exports.{os.getpid()}.old"
    if final.exists():
        final.rename(old)
    building.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final
