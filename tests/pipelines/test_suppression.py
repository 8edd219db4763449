"""The complementary-suppression solver (pipelines/suppression.py) on tables small enough to
check by hand, and against a reader's best attack: the least and greatest value of each hidden
count over every integer assignment the publication allows (mixed-integer programming, a
stronger attack than the solver's own interval propagation)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines import suppression as S

M = 8  # disclosure_min_count


def table(
    cells: list[tuple[str, int, str]],
    relations: list[tuple[list[tuple[str, int]], bool]],
    *,
    base: dict[str, str] | None = None,
    series: dict[str, tuple[int, int, int]] | None = None,
    national: set[str] = frozenset(),
    const: dict[int, int] | None = None,
):
    """Cells (key, value, kind) and relations ([(key, coefficient)], is_equality) as the solver's
    arrays. `base` maps a cell to its row's base cell; `series` a window count to (series,
    first quarter, last quarter); keys not among the cells are unknowns."""
    base, series, const = base or {}, series or {}, const or {}
    keys = [k for k, _, _ in cells]
    for members, _ in relations:
        keys += [k for k, _ in members if k not in keys]
    index = {k: i for i, k in enumerate(keys)}
    kinds = {k: kind for k, _, kind in cells}
    values = {k: v for k, v, _ in cells}
    n = len(keys)
    c = S.Cells(
        key=np.array(keys, dtype=object),
        value=np.array([values.get(k, 0) for k in keys], dtype=np.int64),
        kind=np.array([S.KINDS.index(kinds.get(k, S.LATENT)) for k in keys], dtype=np.int8),
        base=np.array([index[base[k]] if k in base else -1 for k in keys], dtype=np.int64),
        source=np.full(n, -1, dtype=np.int64),
        upper=np.full(n, np.inf),
        cost=np.array([1.0 if k in national else 0.0 for k in keys]),
        series=np.array([series[k][0] if k in series else -1 for k in keys], dtype=np.int64),
        first_quarter=np.array([series[k][1] if k in series else 0 for k in keys], dtype=np.int64),
        last_quarter=np.array([series[k][2] if k in series else 0 for k in keys], dtype=np.int64),
        national=np.array([k in national for k in keys]),
    )
    rel_i, cell_i, coef = [], [], []
    for r, (members, _) in enumerate(relations):
        for k, a in members:
            rel_i.append(r)
            cell_i.append(index[k])
            coef.append(a)
    rel = S.Relations(
        relation=np.array(rel_i, dtype=np.int64),
        cell=np.array(cell_i, dtype=np.int64),
        coef=np.array(coef, dtype=np.int64),
        equal=np.array([eq for _, eq in relations], dtype=bool),
        constant=np.array([const.get(r, 0) for r in range(len(relations))], dtype=np.int64),
    )
    return c, rel, index


def hidden(c, result) -> set[str]:
    names = result.names()
    return {c.key[i] for i in range(c.size) if names[i] not in (S.SHOWN,) and c.kind[i] != S.KINDS.index(S.LATENT)}


def feasible_range(c, rel, reason, cell: str, extra=None) -> tuple[int, int] | None:
    """The least and greatest value of one cell over every integer assignment a reader cannot
    rule out (relations hold, each hidden cell in what its note says, domains with holes as
    binary choices), by mixed-integer programming: (lo, hi); lo == hi is a pinned cell."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    a1, b1, a2, b2 = S.domains(c, reason, M)
    n = c.size
    big = 10_000.0
    # variables: x (n), y1 (n), y2 (n), z (n): x = y1 + y2, y1 in [a1 z, b1 z], y2 in [a2 (1-z), b2 (1-z)]
    rows, lbs, ubs = [], [], []

    def row(coefs: dict[int, float], lb: float, ub: float) -> None:
        r = np.zeros(4 * n)
        for k, v in coefs.items():
            r[k] += v
        rows.append(r)
        lbs.append(lb)
        ubs.append(ub)

    for r_i in range(rel.size):
        members = np.flatnonzero(rel.relation == r_i)
        coefs = {int(rel.cell[e]): float(rel.coef[e]) for e in members}
        row(coefs, -np.inf if not rel.equal[r_i] else -float(rel.constant[r_i]), -float(rel.constant[r_i]))
    for i in range(n):
        two = a2[i] <= b2[i]
        row({i: 1, n + i: -1, 2 * n + i: -1}, 0, 0)
        hi1 = min(b1[i], big)
        row({n + i: 1, 3 * n + i: -a1[i]}, 0, np.inf)  # y1 >= a1 z
        row({n + i: 1, 3 * n + i: -hi1}, -np.inf, 0)  # y1 <= b1 z
        if two:
            row({2 * n + i: 1, 3 * n + i: a2[i]}, a2[i], np.inf)  # y2 >= a2 (1 - z)
            row({2 * n + i: 1, 3 * n + i: min(b2[i], big)}, -np.inf, min(b2[i], big))  # y2 <= b2 (1 - z)
    lower = np.zeros(4 * n)
    upper = np.full(4 * n, big)
    for i in range(n):
        if not a2[i] <= b2[i]:
            lower[3 * n + i] = upper[3 * n + i] = 1  # one interval: z = 1
            upper[2 * n + i] = 0
        else:
            upper[3 * n + i] = 1
    integrality = np.ones(4 * n)
    k = list(c.key).index(cell)
    out = []
    for sign in (1, -1):
        objective = np.zeros(4 * n)
        objective[k] = sign
        res = milp(
            objective,
            constraints=LinearConstraint(np.array(rows), lbs, ubs),
            integrality=integrality,
            bounds=Bounds(lower, upper),
        )
        if not res.success:
            return None
        out.append(round(res.x[k]))
    return out[0], out[1]


def not_pinned(c, rel, reason) -> dict[str, tuple[int, int]]:
    """Every hidden, published cell's feasible range (a reader's best, by integer programming)."""
    return {
        c.key[i]: feasible_range(c, rel, reason, c.key[i])
        for i in range(c.size)
        if reason[i] != 0 and c.kind[i] != S.KINDS.index(S.LATENT)
    }


def test_a_small_cell_of_a_two_by_two_table_takes_three_more_with_it():
    # a b | 23      a = 3 (small), b = 20, c = 15, d = 30
    # c d | 45      hiding a alone: a = 23 - 20; with b: b = 35 - 30 ... every inner cell of
    # 18 50 | 68    the table must go, the totals stay
    c, rel, _ = table(
        [
            ("a", 3, "count"),
            ("b", 20, "count"),
            ("c", 15, "count"),
            ("d", 30, "count"),
            ("r1", 23, "count"),
            ("r2", 45, "count"),
            ("c1", 18, "count"),
            ("c2", 50, "count"),
        ],
        [
            ([("a", 1), ("b", 1), ("r1", -1)], True),
            ([("c", 1), ("d", 1), ("r2", -1)], True),
            ([("a", 1), ("c", 1), ("c1", -1)], True),
            ([("b", 1), ("d", 1), ("c2", -1)], True),
        ],
    )
    result = S.solve(c, rel, M)
    assert hidden(c, result) == {"a", "b", "c", "d"}
    assert result.names()[0] == S.SMALL and set(result.names()[1:4]) == {S.PROTECT}
    # a reader holding the totals can tell a only to within 1..7
    assert feasible_range(c, rel, result.reason, "a") == (1, 7)


def test_nine_is_one_small_and_eight_so_the_total_is_hidden_not_the_eight():
    # t = a + b, t = 9, a = 1 (small), b = 8. Hiding b would not do: a reader knows a hidden
    # protecting count is 8 or more and a small one 1 or more, so b = 8 and a = 1 again. b, at
    # the bottom of what a protecting count can be, is the last choice; hiding t instead leaves
    # a anywhere in 1..7 (t = a + 8 in 9..15).
    c, rel, _ = table(
        [("a", 1, "count"), ("b", 8, "count"), ("t", 9, "count")], [([("a", 1), ("b", 1), ("t", -1)], True)]
    )
    primary = S.primary(c, M)
    assert [S.REASONS[r] for r in primary] == [S.SMALL, S.SHOWN, S.SHOWN]
    with_b = primary.copy()
    with_b[1] = S.REASONS.index(S.PROTECT)
    assert sorted(c.key[S.attack(c, rel, with_b, M).pinned]) == ["a", "b"]
    result = S.solve(c, rel, M)
    assert hidden(c, result) == {"a", "t"}
    assert feasible_range(c, rel, result.reason, "a") == (1, 7)


def test_seven_small_parts_of_a_small_total_say_the_total_is_hidden_to_protect_them():
    # the faulted sample's England row of one recording problem: 7 providers with 1 issue each,
    # England 7. Every count is small, so all are hidden - and still pinned: seven counts of
    # at least 1 add up to a total of at most 7, so each is 1 and the total 7. No shown count
    # is left to hide; England's 7 (national, the largest) is hidden "to protect another cell"
    # instead, which tells a reader only that it is 8 or more: each provider is then 1..7
    parts = [(f"p{i}", 1, "count") for i in range(7)]
    c, rel, _ = table(
        [*parts, ("england", 7, "count")],
        [([*((k, 1) for k, _, _ in parts), ("england", -1)], True)],
        national={"england"},
    )
    primary = S.primary(c, M)
    assert sorted(c.key[S.attack(c, rel, primary, M).pinned]) == sorted([*(k for k, _, _ in parts), "england"])
    result = S.solve(c, rel, M)
    names = result.names()
    assert names[-1] == S.PROTECT and set(names[:-1]) == {S.SMALL}
    assert feasible_range(c, rel, result.reason, "p0") == (1, 7)


def test_a_value_count_close_to_its_base_is_small_and_a_reader_knows_both_ends():
    # numerator 15 of 20: 20 - 15 = 5 not engaged is small, so the numerator is hidden and a
    # reader knows it is 1..7 or 13..19
    c, rel, _ = table(
        [("den", 20, "base"), ("num", 15, "value")], [([("num", 1), ("den", -1)], False)], base={"num": "den"}
    )
    reason = S.primary(c, M)
    assert S.REASONS[reason[1]] == S.SMALL
    a1, b1, a2, b2 = (d[1] for d in S.domains(c, reason, M))
    assert (a1, b1, a2, b2) == (1, 7, 13, 19)


def test_a_hidden_base_hides_its_row():
    # denominator 5 (small): numerator and pending are hidden with it, told nothing of their own
    c, rel, _ = table(
        [("den", 5, "base"), ("num", 2, "value"), ("pending", 9, "count")], [], base={"num": "den", "pending": "den"}
    )
    assert [S.REASONS[r] for r in S.primary(c, M)] == [S.SMALL, S.ROW, S.ROW]


def test_a_part_of_a_published_zero_is_not_a_disclosure():
    # the whole row's gap is a shown 0, so every split's gap is 0: a split hidden with its row
    # (transferred 3) has a gap a reader knows is 0, which says no more than the shown 0
    c, rel, _ = table(
        [("t1", 3, "base"), ("g1", 0, "count"), ("t2", 30, "base"), ("g2", 0, "count"), ("g", 0, "count")],
        [([("g1", 1), ("g2", 1), ("g", -1)], True)],
        base={"g1": "t1", "g2": "t2"},
    )
    reason = S.primary(c, M)
    assert S.REASONS[reason[1]] == S.ROW
    assert len(S.attack(c, rel, reason, M).pinned) == 0


def test_the_last_rolling_window_is_pinned_by_its_known_quarters_and_protected():
    # quarters 1..9 hold 0, 0, 0, 0, 9, 2, 0, 5, 0 releases; the rolling windows of four
    # quarters ending at quarters 4..9 are 0, 9, 11, 11, 16, 7. The last (7) is small. Its
    # quarters 6, 7 and 8 follow from the shown windows (9 - 0 = q5 = 9, 11 - 9 = q6 = 2 and so
    # on: q6 + q7 + q8 = 7), so it is at least 7, and small numbers are at most 7: pinned.
    windows = {"w4": (0, 1, 4), "w5": (9, 2, 5), "w6": (11, 3, 6), "w7": (11, 4, 7), "w8": (16, 5, 8), "w9": (7, 6, 9)}
    c, rel, _ = table(
        [(k, v, "count") for k, (v, _, _) in windows.items()],
        [],
        series={k: (0, f, last) for k, (_, f, last) in windows.items()},
    )
    assert list(c.key[S.attack(c, rel, S.primary(c, M), M, earliest_quarter=1).pinned]) == ["w9"]
    result = S.solve(c, rel, M, earliest_quarter=1)
    # w9 and windows before it that free its quarters (every relation tight on w9 loosened)
    assert "w9" in hidden(c, result) and "w4" not in hidden(c, result)
    assert len(S.attack(c, rel, result.reason, M, earliest_quarter=1).pinned) == 0


def test_brute_force_agrees_that_nothing_hidden_is_pinned_on_a_small_linked_table():
    # two areas of one region, each with a denominator and numerator, and a prison total:
    # area A 6 of 14 (6 small), B 20 of 40, C 4 of 9 (4 small), region 30 of 63
    cells = [
        ("A.den", 14, "base"),
        ("A.num", 6, "value"),
        ("B.den", 40, "base"),
        ("B.num", 20, "value"),
        ("R.den", 63, "base"),
        ("R.num", 30, "value"),
        ("C.den", 9, "base"),
        ("C.num", 4, "value"),
    ]
    relations = [
        ([("A.den", 1), ("B.den", 1), ("C.den", 1), ("R.den", -1)], True),
        ([("A.num", 1), ("B.num", 1), ("C.num", 1), ("R.num", -1)], True),
        ([("A.num", 1), ("A.den", -1)], False),
        ([("B.num", 1), ("B.den", -1)], False),
        ([("C.num", 1), ("C.den", -1)], False),
        ([("R.num", 1), ("R.den", -1)], False),
    ]
    c, rel, _ = table(cells, relations, base={"A.num": "A.den", "B.num": "B.den", "C.num": "C.den", "R.num": "R.den"})
    assert S.check_relations(c, rel) == []
    result = S.solve(c, rel, M)
    # the two small numerators hide each other: A + C = 30 - 20 = 10
    assert hidden(c, result) == {"A.num", "C.num"}
    for key, (lo, hi) in not_pinned(c, rel, result.reason).items():
        assert lo < hi, (key, lo, hi)


def test_the_stricter_release_reads_shown_counts_as_rounded_ranges():
    # rounding to 5: a shown 12 is published as 10, so a reader knows 8..12
    c, rel, _ = table([("x", 12, "count")], [])
    a1, b1, _, _ = (d[0] for d in S.domains(c, S.primary(c, M), M, rounding_base=5))
    assert (a1, b1) == (8, 12)


def test_relations_that_the_exact_counts_break_are_refused():
    c, rel, _ = table([("a", 3, "count"), ("t", 9, "count")], [([("a", 1), ("t", -1)], True)])
    assert S.check_relations(c, rel) == [0]


@pytest.mark.parametrize("seed", range(12))
def test_random_small_tables_leave_no_hidden_cell_with_one_feasible_value(seed):
    # a 2 x 3 table with row and column totals and a grand total, small random counts
    rng = np.random.default_rng(seed)
    inner = rng.integers(0, 13, size=(2, 3))
    cells, relations = [], []
    for i in range(2):
        for j in range(3):
            cells.append((f"x{i}{j}", int(inner[i, j]), "count"))
    for i in range(2):
        cells.append((f"r{i}", int(inner[i].sum()), "count"))
        relations.append(([(f"x{i}{j}", 1) for j in range(3)] + [(f"r{i}", -1)], True))
    for j in range(3):
        cells.append((f"c{j}", int(inner[:, j].sum()), "count"))
        relations.append(([(f"x{i}{j}", 1) for i in range(2)] + [(f"c{j}", -1)], True))
    cells.append(("t", int(inner.sum()), "count"))
    # both margins add up to the grand total, as every published table of the project declares
    relations.append(([(f"r{i}", 1) for i in range(2)] + [("t", -1)], True))
    relations.append(([(f"c{j}", 1) for j in range(3)] + [("t", -1)], True))
    c, rel, _ = table(cells, relations)
    result = S.solve(c, rel, M)
    zero = S.structural_zeros(rel, (result.reason == 0) & (c.value == 0))
    for key, (lo, hi) in not_pinned(c, rel, result.reason).items():
        if not zero[list(c.key).index(key)]:
            assert lo < hi, (seed, key, lo, hi, inner)


def test_the_decisions_do_not_depend_on_the_order_the_rows_arrive_in():
    # Spark and DuckDB return disclosure_cells and disclosure_relations in different orders: a
    # 3 x 3 table of counts with two small cells, its rows and columns adding up to totals, is
    # decided alike in every order (of candidates of equal rank, the first listed must not win
    # by its position): a 5 x 5 table of equal counts of 20 with three small ones
    import polars as pl

    grid = [[20] * 5 for _ in range(5)]
    grid[0][0], grid[2][3], grid[4][1] = 3, 2, 5
    cells, relations = [], []
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            cells.append((f"c{i}{j}", v))
    cells += [(f"r{i}", sum(row)) for i, row in enumerate(grid)]
    cells += [(f"k{j}", sum(row[j] for row in grid)) for j in range(5)]
    for i in range(5):
        relations += [(f"row{i}", f"c{i}{j}", 1) for j in range(5)] + [(f"row{i}", f"r{i}", -1)]
        relations += [(f"col{i}", f"c{j}{i}", 1) for j in range(5)] + [(f"col{i}", f"k{i}", -1)]
    frame = pl.DataFrame(
        {
            "cell_key": [k for k, _ in cells],
            "address": [k for k, _ in cells],
            "table_name": "t",
            "row_key": [k for k, _ in cells],
            "measure": "n",
            "kind": "count",
            "value": [v for _, v in cells],
            "base_key": pl.Series([None] * len(cells), dtype=pl.String),
            "source_key": pl.Series([None] * len(cells), dtype=pl.String),
            "series_key": pl.Series([None] * len(cells), dtype=pl.String),
            "first_quarter": pl.Series([None] * len(cells), dtype=pl.Int64),
            "last_quarter": pl.Series([None] * len(cells), dtype=pl.Int64),
            "is_national": False,
            "is_published": True,
            "priority": 0,
        }
    )
    rels = pl.DataFrame(
        {
            "relation_key": [r for r, _, _ in relations],
            "address": [a for _, a, _ in relations],
            "coefficient": [c for _, _, c in relations],
            "is_equality": True,
            "constant": 0,
        }
    )
    first = S.solve_tables(frame, rels, M).sort("address")
    assert first.filter(pl.col("reason") == S.SMALL)["address"].to_list() == ["c00", "c23", "c41"]
    assert first.filter(pl.col("reason") == S.PROTECT).height >= 2  # a small cell needs partners
    for seed in range(5):
        again = S.solve_tables(frame.sample(fraction=1.0, shuffle=True, seed=seed),
                               rels.sample(fraction=1.0, shuffle=True, seed=seed + 10), M)  # fmt: skip
        assert again.sort("address").equals(first)


def _disclosure_model():
    """models/publication/disclosure/disclosure_suppression.py, the dbt Python model, as a module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "models" / "publication" / "disclosure" / "disclosure_suppression.py"
    spec = importlib.util.spec_from_file_location("disclosure_suppression_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _FakeDbt:
    """What the model asks of dbt: its config, and each ref as a frame."""

    def __init__(self, config: dict):
        import polars as pl

        self.config = type("Config", (), {"get": staticmethod(config.get), "__call__": lambda *a, **k: None})()
        self._frame = pl.DataFrame({"earliest_data_date": [None]}, schema={"earliest_data_date": pl.Date})

    def ref(self, name):
        return type("Relation", (), {"pl": lambda _self: self._frame})()


@pytest.mark.parametrize("fails", [False, True])
def test_the_solve_runs_with_duckdbs_buffers_evicted_and_the_limit_is_restored(monkeypatch, fails):
    import duckdb
    import polars as pl

    model = _disclosure_model()
    session = duckdb.connect()
    session.execute("set memory_limit = '2GB'")
    seen = []

    def solve(*_args, **_kwargs):
        seen.append(session.execute("select current_setting('memory_limit')").fetchall()[0][0])
        if fails:
            raise S.SuppressionError("a relation does not hold")
        return pl.DataFrame({"address": ["a"], "reason": ["shown"]})

    monkeypatch.setattr("pipelines.suppression.solve_tables", solve)
    dbt = _FakeDbt({"disclosure_min_count": "8", "disclosure_rounding_base": "5", "memory_limit": "2GB"})
    if fails:
        with pytest.raises(S.SuppressionError):
            model.model(dbt, session)
    else:
        assert model.model(dbt, session).num_rows == 1
    assert seen == ["244.1 MiB"]  # 256 MB while solving: the pages earlier models read are evicted
    assert session.execute("select current_setting('memory_limit')").fetchall() == [("1.8 GiB",)]  # 2 GB again
