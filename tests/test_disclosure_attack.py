"""The disclosure attacker itself (tests/disclosure_attack.py), on tiny tables whose answer is
known by hand: what it pins must be pinned, and what it leaves open must be open."""

from datetime import date

import numpy as np
import polars as pl

from tests.disclosure_attack import (
    BIG,
    Reading,
    System,
    build,
    check_relations,
    counts_behind,
)

SMALL = ([1], [7], None, None)  # domain 1..7
PROTECT = ([0], [BIG], [1], [7])  # domain 0 or >= 8


def cell(s: System, name: str, value=None, domain=None):
    """A shown count (value) or a hidden one with its domain."""
    if value is not None:
        return s.add_vars([value], [value], [name])[0]
    lo, hi, g_lo, g_hi = domain
    return s.add_vars(lo, hi, [name], g_lo, g_hi, hidden=[True])[0]


def two_by_two(hidden: dict) -> System:
    """a b | 13      a = 3, b = 10, c = 12, d = 9 (a is small; the others not)
     c d | 21
    15 19 | 34"""
    s = System()
    values = {"a": 3, "b": 10, "c": 12, "d": 9}
    v = {k: cell(s, k, None if k in hidden else x, hidden.get(k)) for k, x in values.items()}
    t = {k: cell(s, k, x) for k, x in {"r1": 13, "r2": 21, "c1": 15, "c2": 19, "all": 34}.items()}
    for members, total in (
        (("a", "b"), "r1"),
        (("c", "d"), "r2"),
        (("a", "c"), "c1"),
        (("b", "d"), "c2"),
        (("r1", "r2"), "all"),
    ):
        s.sums("2x2", [v.get(m, t.get(m)) for m in members], [0, 0], [t[total]])
    return s


def pinned(s: System) -> dict[str, int]:
    return {p.cell: p.value for p in s.solve().pinned()}


def test_a_2x2_table_with_one_hidden_cell_is_pinned():
    # a = row total - b = 13 - 10
    assert pinned(two_by_two({"a": SMALL})) == {"a": 3}


def test_a_2x2_table_with_four_hidden_cells_is_not_pinned():
    # a small, b c d protecting it (0 or >= 8): a + b = 13 and b >= 8 give a <= 5; c = 15 - a
    # and d = 21 - c = 6 + a >= 8 give a >= 2: a is any of 2..5, each with its b, c, d
    s = two_by_two({"a": SMALL, "b": PROTECT, "c": PROTECT, "d": PROTECT})
    solution = s.solve()
    assert solution.pinned() == []
    a = s.labels.index("a")
    assert (solution.L[a], solution.U[a]) == (2, 5)


def test_a_small_cell_and_its_protector_summing_to_9_are_both_pinned():
    # 9 = a (1-7) + b (0 or >= 8): b is 2..8, so 8, and a is 1
    s = System()
    a, b = cell(s, "a", domain=SMALL), cell(s, "b", domain=PROTECT)
    total = cell(s, "total", 9)
    s.sums("a + b = total", [a, b], [0, 0], [total])
    assert pinned(s) == {"a": 1, "b": 8}
    # with 16 = a + b, b is 9..15: nothing pinned
    s = System()
    a, b = cell(s, "a", domain=SMALL), cell(s, "b", domain=PROTECT)
    s.sums("a + b = total", [a, b], [0, 0], [cell(s, "total", 16)])
    assert pinned(s) == {}


def test_a_value_count_hidden_beside_its_shown_base_is_small_or_near_the_base():
    # x hidden as small beside a base of 20: x is 1-7 or 13-19; a relation giving x >= 8 leaves
    # 13..19, and x <= 13 then pins it
    s = System()
    base = cell(s, "base", 20)
    x = s.add_vars([1], [19], ["x"], hidden=[True])[0]
    s.small_beside([x], [base])
    floor, ceiling = cell(s, "floor", 8), cell(s, "ceiling", 13)
    s.at_most("floor <= x", [floor], [x])
    solution = s.solve()
    assert (solution.L[x], solution.U[x]) == (13, 19)
    s.at_most("x <= ceiling", [x], [ceiling])
    assert pinned(s) == {"x": 13}


PERIODS = [  # (period_type, start, end): five rolling 12 months from 2020Q3, and one financial year
    ("rolling_12m", date(2019, 10, 1), date(2020, 9, 30)),
    ("rolling_12m", date(2020, 1, 1), date(2020, 12, 31)),
    ("rolling_12m", date(2020, 4, 1), date(2021, 3, 31)),
    ("financial_year", date(2020, 4, 1), date(2021, 3, 31)),
    ("rolling_12m", date(2020, 7, 1), date(2021, 6, 30)),
    ("rolling_12m", date(2020, 10, 1), date(2021, 9, 30)),
    ("rolling_12m", date(2021, 1, 1), date(2021, 12, 31)),
]


def c20(denominators: list, notes: list) -> dict[str, list[pl.DataFrame]]:
    """One local authority's phof_c20 rows over PERIODS: the denominators shown (None: hidden),
    numerators 0 (hidden with the row), nothing pending."""
    rows = []
    for (ptype, start, end), n, note in zip(PERIODS, denominators, notes, strict=True):
        rows.append(
            {
                "period_type": ptype,
                "period_start": start,
                "period_end": end,
                "geography_type": "local_authority",
                "geography_code": "E06000001",
                "parent_region_code": "E12000001",
                "denominator": n,
                "numerator": None if n is None else 0,
                "pending": 0,
                "value_pct": None if n is None else 0.0,
                "value_note": note,
            }
        )
    return {"phof_c20": [pl.DataFrame(rows)]}


def test_a_quarter_chain_pins_the_first_quarter():
    # quarters 2020Q3..2021Q4 hold 3, 9, 0, 0, 0, 0 releases; none before 2020Q3 (no period ends
    # there: the first period is partial). The last period (0) empties 2021Q1-Q4, the one before
    # (9) is 2020Q4 alone, so 2020Q4's period (12) = 2020Q3 + 9: the hidden first period is 3
    small = "Suppressed: small numbers"
    tables = c20([None, 12, 12, 12, 12, 9, 0], [small, None, None, None, None, None, None])
    solution = build(tables, Reading()).s.solve()
    found = {p.cell: p.value for p in solution.pinned()}
    assert found["phof_c20[rolling_12m, 2019-10-01, local_authority, E06000001].denominator"] == 3
    assert any(
        "a 12-month period = its four quarters" in line or "R(k+1) - R(k)" in line
        for p in solution.pinned()
        for line in p.chain
    )


def test_a_quarter_chain_with_a_protected_period_does_not_pin():
    # the same, with 2020Q4's own period (9) hidden to protect the first: 2020Q4 is 0 or >= 8 and
    # 12 - the first, so the first is any of 1..4 (their numerators, 0 in every period shown around
    # them, are given away: no one engaged in any quarter)
    small, protect = "Suppressed: small numbers", "Suppressed: to protect another cell"
    tables = c20([None, 12, 12, 12, 12, None, 0], [small, None, None, None, None, protect, None])
    b = build(tables, Reading())
    solution = b.s.solve()
    assert {p.cell.rsplit(".", 1)[1] for p in solution.pinned()} == {"numerator"}
    first = b.v["phof_c20"]["denominator"][0]
    assert (solution.L[first], solution.U[first]) == (1, 4)


def test_a_shown_rate_beside_a_shown_base_gives_its_hidden_count_away():
    # numerator hidden but 25.0% of 12 shown: 3
    tables = c20([12, 12, 12, 12, 12, 12, 12], [None] * 7)
    df = tables["phof_c20"][0].with_columns(
        numerator=pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(0),
        value_pct=pl.when(pl.int_range(pl.len()) == 1).then(25.0).otherwise(0.0),
        value_note=pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("Suppressed: small numbers")),
    )
    solution = build({"phof_c20": [df]}, Reading()).s.solve()
    assert {p.cell: p.value for p in solution.pinned()} == {
        "phof_c20[rolling_12m, 2020-01-01, local_authority, E06000001].numerator": 3
    }


def test_the_value_notes_give_each_hidden_count_its_domain():
    # a base hidden to protect another cell is 0 or >= 8; a count with its own part is what it says
    df = pl.DataFrame(
        {
            "period_type": ["financial_year"],
            "period_start": [date(2020, 4, 1)],
            "period_end": [date(2021, 3, 31)],
            "geography_type": ["prison"],
            "geography_code": ["AAA"],
            "parent_region_code": [None],
            "denominator": [None],
            "numerator": [None],
            "pending": [None],
            "value_pct": [None],
            "value_note": ["Suppressed: to protect another cell; pending suppressed: small numbers"],
        },
        schema_overrides={
            "denominator": pl.Int64,
            "numerator": pl.Int64,
            "pending": pl.Int64,
            "value_pct": pl.Float64,
            "parent_region_code": pl.String,
        },
    )
    b = build({"phof_c20": [df]}, Reading())
    s = b.s
    lo, hi = np.concatenate(s.lo), np.concatenate(s.hi)
    g_lo, g_hi = np.concatenate(s.gap_lo), np.concatenate(s.gap_hi)
    n, p = b.v["phof_c20"]["denominator"][0], b.v["phof_c20"]["pending"][0]
    assert (lo[n], g_lo[n], g_hi[n]) == (0, 1, 7)
    assert (lo[p], hi[p]) == (1, 7)


def test_a_rounded_release_gives_an_interval_and_never_a_small_count():
    # a count of 10 rounded to 5: 8..12 (a 6 or 7 would have been hidden, not rounded)
    tables = c20([10] * 7, [None] * 7)
    b = build(tables, Reading(rounding_base=5))
    n = b.v["phof_c20"]["denominator"][0]
    solution = b.s.solve()
    assert (solution.L[n], solution.U[n]) == (8, 12)


def test_the_check_of_the_relations_finds_a_relation_that_does_not_hold():
    # two local authorities of a region, one period: 5 + 9 = 14 holds; 5 + 9 = 15 does not
    def tables(region: int):
        rows = [
            ("region", "E12000001", None, region, 0),
            ("local_authority", "E06000001", "E12000001", 5, 0),
            ("local_authority", "E06000002", "E12000001", 9, 0),
        ]
        return {
            "phof_c20": [
                pl.DataFrame(
                    [
                        {
                            "period_type": "financial_year",
                            "period_start": date(2020, 4, 1),
                            "period_end": date(2021, 3, 31),
                            "geography_type": t,
                            "geography_code": c,
                            "parent_region_code": p,
                            "denominator": n,
                            "numerator": x,
                            "pending": 0,
                        }
                        for t, c, p, n, x in rows
                    ]
                )
            ]
        }

    assert check_relations(tables(14)) == []
    broken = check_relations(tables(15))
    assert broken and "local authorities = their region" in broken[0]


def test_a_rate_and_interval_beside_a_rounded_base_give_the_counts_away():
    # 0.5 of 18, 20 or 22 (a base of 20 rounded to 5): the Wilson lower limit of 10/20 is 0.2993...
    # and of 9/18 0.2903..., so the interval leaves one pair
    from tests.disclosure_attack import wilson

    lower = wilson(10, 20)[0]
    assert counts_behind(0.5, None, range(18, 23), 1.0) == [(18, 9), (20, 10), (22, 11)]
    assert counts_behind(0.5, lower, range(18, 23), 1.0) == [(20, 10)]


def test_an_export_that_shows_what_its_table_hides_gives_it_away():
    # the table hides the 2020Q4 period's numerator (to protect another cell: 0, or 8..22 beside
    # a denominator of 30); a CSV export shows its rate, 33.3 (one decimal: 33.25..33.35): 9.975
    # ..10.005 of 30, so 10
    tables = c20([30] * 7, [None] * 7)
    hidden = pl.int_range(pl.len()) == 1
    table = (
        tables["phof_c20"][0]
        .with_columns(
            numerator=pl.when(hidden).then(None).otherwise(0),
            value_pct=pl.when(hidden).then(None).otherwise(0.0),
            value_note=pl.when(hidden).then(pl.lit("Suppressed: to protect another cell")),
        )
        .filter(hidden)  # alone: no other period tells its numerator
    )
    export = table.with_columns(value_pct=pl.lit(33.3), _half=pl.lit(0.05), _export=pl.lit(True))
    solution = build({"phof_c20": [table]}, Reading()).s.solve()
    assert solution.pinned() == []
    solution = build({"phof_c20": [table, export]}, Reading()).s.solve()
    assert solution.infeasible() == []
    assert {p.cell: p.value for p in solution.pinned()} == {
        "phof_c20[rolling_12m, 2020-01-01, local_authority, E06000001].numerator": 10
    }
