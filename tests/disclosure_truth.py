"""Every figure shown is the true one (indicators.md s.4): each table of the open and partner tiers
of a publication, and each CSV/XLSX export, compared cell by cell with the warehouse's own marts.

Counts must be equal; rates, intervals, means and standard deviations must be the mart's value to
the decimals shown (a database value at full precision: equal to 1e-9); comparisons, funnel
positions, trend labels and every other text equal. A hidden cell (NULL, empty, `*` or `[c]`) shows
nothing and is not compared. `false_figures(folder, warehouse)` returns every shown figure that is
not the mart's; `unmatched_rows` the published rows the marts have no row for.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

from tests.disclosure_attack import _table_names

HIDDEN_TEXT = {"", "*", "[c]", "[x]", "[z]"}
KEYS = {
    "phof_c20": ["period_type", "period_start", "geography_type", "geography_code"],
    "phof_c20_funnel": ["period_type", "period_start", "geography_type", "geography_code"],
    "audit_attrition": ["period_type", "period_start", "geography_type", "geography_code", "split_type", "split_value"],
    "continuity_flows": ["period_type", "period_start", "estab_code", "exit_la_code"],
    "er_outcomes_summary": ["site", "priority_group", "outcome"],
    "recording_issues_summary": ["financial_year", "provider_role", "provider", "issue_type"],
    "inequality_breakdowns": ["outcome", "adjusted", "variable", "category"],
    "c20_recording_adjusted": [
        "period_type",
        "period_start",
        "geography_type",
        "geography_code",
        "provider_role",
        "provider",
    ],
    "time_to_treatment": ["period_type", "period_start", "geography_type", "geography_code", "day"],
}
# tables whose every mart row is published (an absent row would be read as a row of zeros)
COMPLETE = {
    "phof_c20",
    "audit_attrition",
    "continuity_flows",
    "er_outcomes_summary",
    "recording_issues_summary",
    "inequality_breakdowns",
    "c20_recording_adjusted",
    "time_to_treatment",
}
NOT_FIGURES = {"value_note", "flow_type", "prison_name", "la_name"}  # labels of the row, not figures
FINGERTIPS = {  # the Fingertips-format export's columns -> marts.phof_c20
    "Value": "value_pct",
    "Lower CI 95.0 limit": "lower_ci95_pct",
    "Upper CI 95.0 limit": "upper_ci95_pct",
    "Lower CI 99.8 limit": "lower_ci998_pct",
    "Upper CI 99.8 limit": "upper_ci998_pct",
    "Count": "numerator",
    "Denominator": "denominator",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_with_england_95",
    "Compared to Region value or percentiles": "compared_with_region_95",
    "Area Name": "geography_name",
}
PRP_CSV = {"Outcome mean": "mean", "Number of observations": "n", "Variation": "sd"}
PRP_XLSX = {
    "Number of observations": ("n", False),
    "Outcome mean, unadjusted": ("mean", False),
    "Lower 95% CI, unadjusted": ("lower_ci95", False),
    "Upper 95% CI, unadjusted": ("upper_ci95", False),
    "Outcome mean, adjusted": ("mean", True),
    "Lower 95% CI, adjusted": ("lower_ci95", True),
    "Upper 95% CI, adjusted": ("upper_ci95", True),
    "Variation (SD, unadjusted)": ("sd", False),
}


@dataclass(frozen=True)
class Mismatch:
    source: str  # the table or file
    row: str  # the row's key
    column: str
    shown: str
    truth: str

    def __str__(self) -> str:
        return f"{self.source} [{self.row}] {self.column}: shown {self.shown}, true {self.truth}"


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def same(shown, truth) -> bool:
    """Whether a shown figure is the true one: counts and labels equal, a number to the decimals
    shown (text) or to 1e-9 (a database double at full precision; or rounded to <= 6 decimals)."""
    if truth is None:
        return False
    if isinstance(truth, bool) or not isinstance(truth, (int, float)):
        return str(shown).strip().lower() == str(truth).strip().lower()
    if isinstance(shown, str):
        try:
            value = float(shown.replace(",", ""))
        except ValueError:
            return False
        decimals = _decimals(shown)
    else:
        value = float(shown)
        decimals = next((d for d in range(7) if abs(round(value, d) - value) < 1e-12), None)
    if isinstance(truth, int) and not isinstance(truth, bool):
        return value == truth
    if decimals is None:
        return math.isclose(value, truth, rel_tol=1e-9, abs_tol=1e-9)
    return abs(value - truth) <= 0.5 * 10**-decimals + 1e-9 or math.isclose(value, truth, rel_tol=1e-9)


def compare(
    source: str,
    shown: pl.DataFrame,
    truth: pl.DataFrame,
    keys: list[str],
    columns: dict[str, str],
    cast_keys: bool = True,
) -> tuple[list[Mismatch], list[str]]:
    """Each shown row joined to its mart row on the keys; each shown figure (column of `shown` ->
    column of `truth`) compared. Returns the false figures and the keys of unmatched rows."""
    if cast_keys:
        shown = shown.with_columns(*(pl.col(k).cast(pl.String) for k in keys))
        truth = truth.with_columns(*(pl.col(k).cast(pl.String) for k in keys))
    truth = truth.select(*keys, *{c for c in columns.values() if c in truth.columns}).rename(
        {c: f"{c}__true" for c in set(columns.values()) if c in truth.columns}
    )
    j = shown.with_row_index("_i").join(truth, on=keys, how="left", nulls_equal=True, suffix="__dup")
    out, unmatched = [], []
    found = set(
        truth.select(pl.concat_str([pl.col(k).fill_null("-") for k in keys], separator="|")).to_series().to_list()
    )
    for row in j.iter_rows(named=True):
        key = "|".join("-" if row[k] is None else str(row[k]) for k in keys)
        if key not in found:
            unmatched.append(key)
            continue
        for col, tcol in columns.items():
            value = row.get(col)
            if value is None or (isinstance(value, str) and value.strip() in HIDDEN_TEXT):
                continue
            true = row.get(f"{tcol}__true")
            if not same(value, true):
                out.append(Mismatch(source, key, col, str(value), str(true)))
    return out, unmatched


def _marts(warehouse: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        return {t: con.sql(f"select * from marts.{t}").pl() for t in KEYS if t in present}
    finally:
        con.close()


def _tiers(folder: Path) -> dict[str, list[pl.DataFrame]]:
    tables: dict[str, list[pl.DataFrame]] = {}
    for path in (folder / "published" / "marts.duckdb", folder / "partner" / "partner_marts.duckdb"):
        if path.exists():
            con = duckdb.connect(str(path), read_only=True)
            try:
                for name, qualified in _table_names(con):
                    tables.setdefault(name, []).append(con.sql(f"select * from {qualified}").pl())
            finally:
                con.close()
    return tables


def _flows_with_other_rows(shown: pl.DataFrame, mart: pl.DataFrame) -> pl.DataFrame:
    """The truth of a flows table with 'Other areas' / 'Other prisons' rows: each is the sum of the
    mart's pairs of its prison (area) that the table does not name in that period."""
    per = ["period_type", "period_start", "period_end"]
    text = [*per, "estab_code", "exit_la_code"]
    shown = shown.with_columns(*(pl.col(c).cast(pl.String) for c in text if c in shown.columns))
    mart = mart.with_columns(*(pl.col(c).cast(pl.String) for c in text))
    pair = pl.col("flow_type").fill_null("pair") == "pair"
    named = shown.filter(pair).select(*per[:2], "estab_code", "exit_la_code").with_columns(_named=pl.lit(True))
    m = mart.join(named, on=[*per[:2], "estab_code", "exit_la_code"], how="left", nulls_equal=True)
    rest = m.filter(pl.col("_named").is_null())
    sums = [pl.col(c).sum() for c in ("releases", "engaged", "pending")]
    areas = (
        rest.group_by(*per, "estab_code")
        .agg(*sums)
        .with_columns(flow_type=pl.lit("other_areas"), exit_la_code=pl.lit(None, pl.String))
    )
    prisons = (
        rest.group_by(*per, "exit_la_code")
        .agg(*sums)
        .with_columns(flow_type=pl.lit("other_prisons"), estab_code=pl.lit(None, pl.String))
    )
    cols = [*per, "flow_type", "estab_code", "exit_la_code", "releases", "engaged", "pending"]
    other = pl.concat([areas.select(cols), prisons.select(cols)], how="vertical_relaxed").with_columns(
        value_pct=pl.when(pl.col("releases") > 0).then(100.0 * pl.col("engaged") / pl.col("releases"))
    )
    base = mart.with_columns(flow_type=pl.lit("pair")).select(*cols, "value_pct")
    return pl.concat([base, other.select(*cols, "value_pct")], how="vertical_relaxed")


def check_tables(folder: Path, marts: dict[str, pl.DataFrame]) -> tuple[list[Mismatch], dict[str, list[str]]]:
    """The tables of the open and partner tiers against the marts."""
    false, unmatched = [], {}
    for name, frames in _tiers(folder).items():
        if name not in KEYS:
            unmatched.setdefault(name, []).append("(a table the truth check does not know: add it)")
            continue
        for tier, df in enumerate(frames):
            truth, keys = marts[name], list(KEYS[name])
            if name == "continuity_flows" and "flow_type" in df.columns:
                truth, keys = _flows_with_other_rows(df, truth), [*keys, "flow_type"]
                df = df.with_columns(pl.col("flow_type").fill_null("pair"))
            columns = {c: c for c in df.columns if c not in NOT_FIGURES and c not in keys and c in truth.columns}
            extra = [c for c in df.columns if c not in truth.columns and c not in NOT_FIGURES and c not in keys]
            if extra:
                unmatched.setdefault(name, []).append(f"(columns the mart does not have: {extra})")
            f, u = compare(
                f"{name} ({['open', 'partner'][tier] if len(frames) > 1 else 'tier'})", df, truth, keys, columns
            )
            false += f
            if u:
                unmatched.setdefault(name, []).extend(u)
        if name in COMPLETE:  # the attack reads an absent row as none: every mart row must be published
            shown = pl.concat([f.select(KEYS[name]).with_columns(pl.all().cast(pl.String)) for f in frames])
            every = marts[name]
            if name == "continuity_flows" and "pending" in every.columns:  # pairs under 8 are in "Other" rows
                every = every.filter(pl.col("releases") + pl.col("pending") >= 8)
            every = every.select(KEYS[name]).with_columns(pl.all().cast(pl.String))
            if "period_type" in KEYS[name]:  # a table of financial years only (the partner audit
                # funnel) publishes those, and its relations say nothing of the other periods
                every = every.filter(pl.col("period_type").is_in(shown["period_type"].unique().to_list()))
            if "period_start" in KEYS[name] and "phof_c20" in marts:  # partial periods publish no count
                partial = (
                    marts["phof_c20"]
                    .filter(pl.col("value_note").fill_null("").str.starts_with("Partial period"))
                    .select(pl.col("period_start").cast(pl.String))
                    .unique()
                )
                every = every.join(partial, on="period_start", how="anti")
            missing = every.join(shown, on=KEYS[name], how="anti", nulls_equal=True)
            unmatched.setdefault(name, []).extend(
                "missing: " + "|".join("-" if v is None else v for v in r) for r in missing.iter_rows()
            )
            if not unmatched[name]:
                del unmatched[name]
    return false, unmatched


def _read_csv(path: Path) -> pl.DataFrame:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return pl.DataFrame(
        {h: [r[i] if i < len(r) else "" for r in rows[1:]] for i, h in enumerate(rows[0])},
        schema={h: pl.String for h in rows[0]},
    )


def _variables() -> dict[str, str]:
    seeds = Path(__file__).resolve().parents[1] / "seeds" / "breakdown_variables.csv"
    table = pl.read_csv(seeds, infer_schema=False)
    return dict(zip(table["label"], table["variable"], strict=True))


def check_exports(folder: Path, marts: dict[str, pl.DataFrame]) -> tuple[list[Mismatch], dict[str, list[str]]]:
    """Every CSV and XLSX export of the open and partner tiers against the marts."""
    false, unmatched = [], {}
    paths = []
    for root in (folder / "published" / "exports", folder / "exports", folder / "partner" / "exports"):
        if root.exists():
            paths += sorted(p for p in root.rglob("*") if p.suffix in (".csv", ".xlsx"))
    seen = set()
    for path in paths:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        source = str(path.relative_to(folder))
        if path.suffix == ".xlsx":
            f, u = _check_workbook(path, source, marts)
        else:
            f, u = _check_csv(_read_csv(path), path.stem, source, marts)
        false += f
        if u:
            unmatched[source] = u
    return false, unmatched


def _check_csv(df: pl.DataFrame, stem: str, source: str, marts) -> tuple[list[Mismatch], list[str]]:
    if "Indicator ID" in df.columns:  # the Fingertips layout
        truth = marts["phof_c20"]
        df = df.rename({"Area Code": "geography_code", "Time period": "period_label"})
        return compare(
            source,
            df,
            truth,
            ["geography_code", "period_label"],
            {c: t for c, t in FINGERTIPS.items() if c in df.columns},
        )
    if "Outcome mean" in df.columns:  # a PRP table: <outcome>_<adjusted|unadjusted>.csv
        outcome, _, kind = stem.rpartition("_")
        labels = _variables()
        df = df.with_columns(
            outcome=pl.lit(outcome),
            adjusted=pl.lit(str(kind == "adjusted").lower()),
            variable=pl.col("Variable").replace(labels),
            category=pl.col("Category"),
        )
        truth = marts["inequality_breakdowns"].with_columns(pl.col("adjusted").cast(pl.String).str.to_lowercase())
        return compare(
            source, df, truth, KEYS["inequality_breakdowns"], {c: t for c, t in PRP_CSV.items() if c in df.columns}
        )
    if stem in KEYS:  # a table in the marts' own columns
        truth, keys = marts[stem], list(KEYS[stem])
        # a CSV writes NULL as an empty field (a flows "Other" row's prison, the provider of
        # records no provider holds): an empty key is the marts' NULL
        df = df.with_columns(
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in keys if c in df.columns
        )
        if stem == "continuity_flows" and "flow_type" in df.columns:
            truth, keys = _flows_with_other_rows(df, truth), [*keys, "flow_type"]
        columns = {c: c for c in df.columns if c not in NOT_FIGURES and c not in keys and c in truth.columns}
        return compare(source, df, truth, keys, columns)
    return [], [f"(an export the truth check does not know: {source})"]


def _check_workbook(path: Path, source: str, marts) -> tuple[list[Mismatch], list[str]]:
    """The PRP workbook: a sheet per outcome, the header row holding the known column names."""
    false, unmatched = [], []
    labels = _variables()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    truth = marts["inequality_breakdowns"].with_columns(pl.col("adjusted").cast(pl.String).str.to_lowercase())
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        head = next((i for i, r in enumerate(rows) if r and "Variable" in r and "Category" in r), None)
        if head is None:
            continue
        header = rows[head]
        body = [dict(zip(header, r, strict=False)) for r in rows[head + 1 :] if r and r[0] is not None]
        for adjusted in (False, True):
            cols = {h: c for h, (c, adj) in PRP_XLSX.items() if adj == adjusted and h in header}
            if not cols:
                continue
            df = pl.DataFrame(
                [
                    {
                        "outcome": sheet.title,
                        "adjusted": str(adjusted).lower(),
                        "variable": labels.get(r["Variable"], r["Variable"]),
                        "category": str(r["Category"]),
                        **{h: None if r.get(h) is None else str(r.get(h)) for h in cols},
                    }
                    for r in body
                ],
                schema={
                    "outcome": pl.String,
                    "adjusted": pl.String,
                    "variable": pl.String,
                    "category": pl.String,
                    **{h: pl.String for h in cols},
                },
            )
            # a workbook shows numbers with a number format: compare at the format's decimals (3)
            df = df.with_columns(
                pl.col(h).map_elements(_three_decimals, return_dtype=pl.String) for h in cols if cols[h] != "n"
            )
            f, u = compare(f"{source}:{sheet.title}", df, truth, KEYS["inequality_breakdowns"], cols)
            false += f
            unmatched += u
    return false, unmatched


def _three_decimals(value: str | None) -> str | None:
    try:
        return f"{float(value):.3f}"
    except (TypeError, ValueError):
        return value


def false_figures(folder: Path, warehouse: Path, exports: bool = True) -> list[Mismatch]:
    """Every figure of the open and partner tiers (tables, and CSV/XLSX exports) that is not the
    warehouse mart's own."""
    marts = _marts(warehouse)
    false, _ = check_tables(Path(folder), marts)
    if exports:
        false += check_exports(Path(folder), marts)[0]
    return false


def unmatched_rows(folder: Path, warehouse: Path) -> dict[str, list[str]]:
    """Published rows (and tables, columns, exports) with nothing in the marts to compare with."""
    marts = _marts(warehouse)
    return check_tables(Path(folder), marts)[1] | check_exports(Path(folder), marts)[1]
