"""Disclosure control for everything that leaves the warehouse (indicators.md s.4).

Below national level: a count of 1 to (min_count - 1) is shown as `*`; other counts are
rounded to the nearest `rounding_base` (halves round up: 8 -> 10, 12 -> 10, 13 -> 15); a mean
or rate based on fewer than min_count observations is `*`. Secondary suppression: where a
group of cells adds up to a published total (the categories of one variable, the local
authorities of one period) and exactly one cell is suppressed, the smallest other cell is
suppressed too, so the first cannot be recovered by subtraction. Rates and intervals are
computed (in SQL) on unrounded counts; this module only decides what is shown.
The thresholds are the dbt vars disclosure_min_count and disclosure_rounding_base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import polars as pl
import yaml

from pipelines.contract import PROJECT_DIR

SUPPRESSED = "*"


@dataclass(frozen=True)
class Rules:
    min_count: int = 8
    rounding_base: int = 5

    def count(self, n: int | None) -> str:
        if n is None:
            return ""
        if 0 < n < self.min_count:
            return SUPPRESSED
        return str(int(math.floor(n / self.rounding_base + 0.5)) * self.rounding_base)


@cache
def rules_from_project() -> Rules:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    v = project["vars"]
    return Rules(min_count=int(v["disclosure_min_count"]), rounding_base=int(v["disclosure_rounding_base"]))


def control(
    table: pl.DataFrame,
    base: str,
    counts: list[str],
    rates: dict[str, int],
    group_by: list[str],
    national: pl.Expr | None = None,
    rules: Rules | None = None,
) -> pl.DataFrame:
    """Return `table` with count and rate columns as disclosure-controlled text.

    base: the column of observations a rate is based on (also a count to control);
    counts: other count columns; rates: {column: decimals}; group_by: the columns whose
    rows add up to a published total (secondary suppression works within each group);
    national: rows at national level, shown unsuppressed and unrounded.
    """
    rules = rules or rules_from_project()
    table = table.with_columns(pl.col(c).cast(pl.Int64) for c in [base, *counts])
    df = table.with_row_index("_row").with_columns(
        _national=national if national is not None else pl.lit(False),
        _primary=pl.col(base).is_between(1, rules.min_count - 1),
    )
    # secondary: one primary-suppressed cell in a group -> also hide its smallest other cell
    candidates = df.filter(~pl.col("_national"))
    lone = (
        candidates.group_by(group_by)
        .agg(pl.col("_primary").sum().alias("_suppressed"))
        .filter(pl.col("_suppressed") == 1)
    )
    secondary_rows = (
        candidates.join(lone, on=group_by, how="semi")
        .filter(~pl.col("_primary") & (pl.col(base) > 0))
        .sort([*group_by, base, "_row"])
        .group_by(group_by, maintain_order=True)
        .first()
        .get_column("_row")
    )
    df = df.with_columns(_hidden=pl.col("_primary") | pl.col("_row").is_in(secondary_rows.implode()))
    df = df.with_columns(_hidden=pl.col("_hidden") & ~pl.col("_national"))
    out = []
    for row in df.iter_rows(named=True):
        shown = dict(row)
        for column in [base, *counts]:
            value = row[column]
            if row["_national"]:
                shown[column] = "" if value is None else str(value)
            elif row["_hidden"]:
                shown[column] = SUPPRESSED
            else:
                shown[column] = rules.count(value)
        for column, decimals in rates.items():
            value = row[column]
            too_few = (row[base] or 0) < rules.min_count and not row["_national"]
            if row["_hidden"] or too_few:
                shown[column] = SUPPRESSED
            else:
                shown[column] = "" if value is None else f"{value:.{decimals}f}"
        out.append(shown)
    text_columns = [base, *counts, *rates]
    result = pl.DataFrame(
        out,
        schema={
            **{c: df.schema[c] for c in df.columns if c not in text_columns},
            **{c: pl.String for c in text_columns},
        },
        orient="row",
    )
    return result.drop("_row", "_national", "_primary", "_hidden").select(table.columns)
