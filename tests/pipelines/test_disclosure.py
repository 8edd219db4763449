"""Disclosure control rules with hand-worked tables (indicators.md s.4)."""

import polars as pl
import pytest

from pipelines.disclosure import Rules, control, rules_from_project

RULES = Rules(min_count=8, rounding_base=5)


def table(ns: list[int], means: list[float] | None = None) -> pl.DataFrame:
    k = len(ns)
    return pl.DataFrame(
        {
            "variable": ["total"] + ["sex"] * k,
            "category": ["All"] + [f"c{i}" for i in range(k)],
            "n": [sum(ns)] + ns,
            "mean": [0.5] + (means or [0.5] * k),
        }
    )


def shown(df: pl.DataFrame) -> list[tuple[str, str]]:
    return list(zip(df["n"].to_list(), df["mean"].to_list(), strict=True))


def test_rules_come_from_the_dbt_vars():
    assert rules_from_project() == Rules(min_count=8, rounding_base=5)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (1, "*"),
        (7, "*"),
        (8, "10"),
        (12, "10"),
        (13, "15"),
        (15, "15"),
        (17, "15"),
        (18, "20"),
        (1003, "1005"),
    ],
)
def test_count_rounding_and_suppression(n, expected):
    # 8 / 5 = 1.6 -> 2 x 5 = 10; 12 / 5 = 2.4 -> 10; 13 / 5 = 2.6 -> 15; 17.5 would round up
    assert RULES.count(n) == expected


def test_seven_is_suppressed_eight_is_shown_and_rounded_and_the_secondary_cell_goes_too():
    # c0 = 7 (primary), c1 = 8 (smallest other: secondary), c2 = 100: with the total 115 shown,
    # c0 = 115 - 8 - 100 could be recovered, so c1 is hidden as well
    out = control(
        table([7, 8, 100]), "n", [], {"mean": 3}, ["variable"], national=pl.col("variable") == "total", rules=RULES
    )
    assert shown(out) == [("115", "0.500"), ("*", "*"), ("*", "*"), ("100", "0.500")]


def test_eight_alone_is_shown_rounded_to_ten():
    out = control(
        table([8, 100]), "n", [], {"mean": 3}, ["variable"], national=pl.col("variable") == "total", rules=RULES
    )
    assert shown(out) == [("108", "0.500"), ("10", "0.500"), ("100", "0.500")]


def test_two_suppressed_cells_need_no_secondary():
    # c0 = 3 and c1 = 5 are both hidden; only their sum (8) can be recovered, not either one
    out = control(
        table([3, 5, 40, 60]), "n", [], {"mean": 3}, ["variable"], national=pl.col("variable") == "total", rules=RULES
    )
    assert shown(out) == [("108", "0.500"), ("*", "*"), ("*", "*"), ("40", "0.500"), ("60", "0.500")]


def test_other_counts_of_a_hidden_row_are_hidden_and_rates_use_the_base():
    df = pl.DataFrame({"g": ["a", "a", "a"], "den": [5, 9, 50], "num": [2, 8, 20], "rate": [40.0, 88.9, 40.0]})
    out = control(df, "den", ["num"], {"rate": 1}, ["g"], rules=RULES)
    # row 0: den 5 -> hidden; row 1: smallest other -> hidden (secondary); row 2: num 20, den 50
    assert out.rows() == [("a", "*", "*", "*"), ("a", "*", "*", "*"), ("a", "50", "20", "40.0")]


def test_a_rate_on_fewer_than_eight_observations_is_suppressed_even_when_counts_are_zero():
    df = pl.DataFrame({"g": ["a", "a"], "den": [0, 50], "num": [0, 10], "rate": [None, 20.0]})
    out = control(df, "den", ["num"], {"rate": 1}, ["g"], rules=RULES)
    assert out.rows() == [("a", "0", "0", "*"), ("a", "50", "10", "20.0")]
