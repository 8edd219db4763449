"""The attacks a statistician would try on a publication (docs/disclosure.md), as code.

Recomputation: for a row below national level, every exact (n, x) the published rounding
allows is tried; a row leaks when exactly one pair reproduces every figure shown beside the
counts (rate, interval, mean, standard deviation) and that pair is not the published rounded
pair itself, i.e. the figures pin down exact counts the rounding was meant to hide.

Differencing: a hidden cell leaks when the total of its group minus the other cells (each
rounded, so within +/- half the base) leaves it a single possible value.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

Z95, Z998 = 1.959964, 3.090232
HALF = 2  # a count rounded to the nearest 5 is within 2 of the shown value
HIDDEN = range(1, 8)  # what a `*` count can be


def wilson_pct(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    centre, spread = 2 * x + z * z, z * math.sqrt(z * z + 4 * x * (1 - x / n))
    lower = 0.0 if x == 0 else max(0.0, 100 * (centre - spread) / (2 * (n + z * z)))
    upper = 100.0 if x == n else min(100.0, 100 * (centre + spread) / (2 * (n + z * z)))
    return lower, upper


def _candidates(shown: str, allow_zero: bool = True) -> list[int]:
    if shown == "*":
        return list(HIDDEN)
    value = int(shown)
    if value == 0:
        return [0]  # 1 and 2 would be hidden, not rounded to 0
    return [v for v in range(value - HALF, value + HALF + 1) if v >= 8 or (v == 0 and allow_zero)]


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def rate_row_leaks(
    n_shown: str, x_shown: str, rate: str, lower: str | None, upper: str | None, more: tuple = ()
) -> bool:
    """One PHOF-style row: counts, a percentage to 1 decimal and (optionally) its Wilson
    intervals: (lower, upper) at 95% and, in `more`, (lower, upper, z) pairs."""
    if rate in ("", "*"):
        return False
    intervals = [(lower, upper, Z95)] if lower not in (None, "") else []
    intervals += [m for m in more if m[0] not in (None, "")]
    matches = []
    for n in _candidates(n_shown):
        for x in _candidates(x_shown):
            if n <= 0 or x > n:
                continue
            figures, expected = [_fmt(100 * x / n, 1)], [rate]
            for lo_shown, hi_shown, z in intervals:
                lo, hi = wilson_pct(x, n, z)
                figures += [_fmt(lo, 1), _fmt(hi, 1)]
                expected += [lo_shown, hi_shown]
            if figures == expected:
                matches.append((n, x))
    published = (n_shown, x_shown)
    return len(matches) == 1 and matches[0] != tuple(int(v) if v.isdigit() else v for v in published)


def mean_row_leaks(n_shown: str, mean: str, sd: str) -> bool:
    """One PRP row: n and the mean and standard deviation of a 0/1 outcome (3 decimals)."""
    if mean in ("", "*") or n_shown in ("", "*"):
        return False
    matches = []
    for n in _candidates(n_shown):
        if n < 2:
            continue
        for x in range(0, n + 1):
            if _fmt(x / n, 3) != mean:
                continue
            if sd not in ("", "*") and _fmt(math.sqrt(x * (n - x) / (n * (n - 1))), 3) != sd:
                continue
            matches.append((n, x))
    rounded = (int(n_shown), round(float(mean) * int(n_shown)))
    return len(matches) == 1 and matches[0] != rounded


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def leaking_rows(exports: Path) -> list[tuple[str, dict]]:
    """Every below-national row of every CSV export that the recomputation attack pins down."""
    leaks = []
    for path in sorted(exports.rglob("*.csv")):
        rows = read_csv(path)
        for row in rows:
            if "Outcome mean" in row:
                if row["Variable"] != "Total" and mean_row_leaks(
                    row["Number of observations"], row["Outcome mean"], row["Variation"]
                ):
                    leaks.append((path.name, row))
            elif "Indicator ID" in row:  # the Fingertips layout: a hidden count is empty, with its note
                if row["Area Type"] != "England" and rate_row_leaks(
                    row["Denominator"] or "*",
                    row["Count"] or "*",
                    row["Value"],
                    row["Lower CI 95.0 limit"],
                    row["Upper CI 95.0 limit"],
                    ((row["Lower CI 99.8 limit"], row["Upper CI 99.8 limit"], Z998),),
                ):
                    leaks.append((path.name, row))
            elif "denominator" in row:
                if row["geography_type"] != "england" and rate_row_leaks(
                    row["denominator"],
                    row["numerator"],
                    row["value_pct"],
                    row["lower_ci95_pct"],
                    row["upper_ci95_pct"],
                    ((row.get("lower_ci998_pct"), row.get("upper_ci998_pct"), Z998),),
                ):
                    leaks.append((path.name, row))
            elif "releases" in row:
                if rate_row_leaks(row["releases"], row["engaged"], row["value_pct"], None, None):
                    leaks.append((path.name, row))
    return leaks


def pinned_by_difference(total: int, shown: list[str]) -> bool:
    """Whether some hidden cell of a group is left one possible value by total - the others."""
    hidden = [s for s in shown if s == "*"]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True  # total minus the others, each within 2: at most 5 values, often 1 in 1..7
    lowest_others = sum(max(0, int(s) - HALF) for s in shown if s != "*")
    # a secondary cell may be any size, even 0: the hidden cells share what the others leave
    return total - lowest_others <= min(HIDDEN)
