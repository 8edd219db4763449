"""Complementary cell suppression, solved over every published relation at once
(indicators.md s.4; docs/disclosure.md, "How the hidden cells are chosen").

The dbt model ``disclosure_suppression`` (models/publication/disclosure/) hands this module
every count the open and partner tiers publish (a *cell*: its exact value, what kind of count
it is, the row it sits in) and every relation between them that a reader holding both tiers
knows (a local authority's counts add up to its region's; a funnel step never exceeds the one
before it; a rolling 12 months is the sum of its four quarters; ...). It returns, for each
cell, whether it is shown or hidden and why:

1. **Primary suppression**: a base count (denominator, n) of 1..min-1 hides its whole row; a
   value count (numerator, achieved, a funnel step) hides itself when it, or its base minus
   it, is 1..min-1; any other count of 1..min-1 hides itself. Zero is shown.
2. **The attack**: what a reader can derive is computed as a reader would, by integer
   interval propagation to a fixed point over every relation, with each hidden cell limited
   to what its value note says of it (small numbers: 1..min-1, or for a value count also
   base-min+1..base-1; to protect another cell: min or more, and for a value count base minus
   it 0 or min or more; hidden with its row: 0 or more). Rolling 12-month and financial-year
   counts of one series are modelled as sums of unknown non-negative quarterly counts
   (quarters before the earliest data are 0), with the difference of two consecutive windows
   as a relation of its own, so propagation sees what differencing them reveals.
3. **Complementary suppression**: every hidden cell the attack pins to one value gets a
   further cell hidden in a relation that pinned it: the smallest shown non-zero count there
   (England's last). Then the attack runs again, until it pins nothing.

Only the system around hidden cells is propagated: a relation whose cells are all shown says
nothing about a hidden one. Everything is vectorised with NumPy over the relation entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# kinds of cell (the `kind` column of the cells a model hands over)
BASE, VALUE, COUNT, DERIVED, LATENT = "base", "value", "count", "derived", "latent"
KINDS = (BASE, VALUE, COUNT, DERIVED, LATENT)
# why a cell is hidden (the `reason` column returned)
SHOWN, SMALL, PROTECT, ROW = "shown", "small", "protect", "row"
REASONS = (SHOWN, SMALL, PROTECT, ROW)
_R = {name: i for i, name in enumerate(REASONS)}
_K = {name: i for i, name in enumerate(KINDS)}
INF = np.inf
MAX_SWEEPS = 10_000  # a fixed point is reached long before this on any real table


class SuppressionError(RuntimeError):
    """The relations contradict the exact counts (a relation is modelled wrongly), or a cell
    cannot be protected."""


@dataclass
class Cells:
    """Every published count and every unpublished unknown (latent) the relations use."""

    key: np.ndarray  # str, unique
    value: np.ndarray  # int64; the exact count (0 for a latent: never read)
    kind: np.ndarray  # int8 index into KINDS
    base: np.ndarray  # int64: the base cell of the cell's row (a hidden base hides the row); -1 for a base
    source: np.ndarray  # int64: the value cell a derived cell is derived from; else -1
    upper: np.ndarray  # float: a latent's known upper bound (inf if none)
    cost: np.ndarray  # float: which counts to hide first (disclosure_cells.priority: partner 0, open 1, England 2)
    series: np.ndarray  # int64: the period series a window count belongs to (-1: none)
    first_quarter: np.ndarray  # int64: first quarter of its window (quarter index), if in a series
    last_quarter: np.ndarray  # int64: last quarter of its window
    national: np.ndarray = None  # bool: an England cell (shown exactly in the stricter release too)

    @property
    def size(self) -> int:
        return len(self.key)


@dataclass
class Relations:
    """Linear relations sum(coef * x) + constant = 0 (equal) or <= 0 (not equal)."""

    relation: np.ndarray  # int64 relation index per entry
    cell: np.ndarray  # int64 cell index per entry
    coef: np.ndarray  # int64 coefficient per entry
    equal: np.ndarray  # bool per relation
    constant: np.ndarray  # int64 per relation

    @property
    def size(self) -> int:
        return len(self.equal)


@dataclass
class Result:
    reason: np.ndarray  # int8 index into REASONS, per cell
    rounds: int = 0
    pinned_per_round: list[int] = field(default_factory=list)

    def names(self) -> np.ndarray:
        return np.asarray(REASONS, dtype=object)[self.reason]


# -- primary suppression --------------------------------------------------------------------


def primary(cells: Cells, min_count: int) -> np.ndarray:
    """The primary reason of every cell (indicators.md s.4), and every cell hidden with it."""
    small = (cells.value >= 1) & (cells.value < min_count)
    rest = _base_value(cells) - cells.value
    is_value = cells.kind == _K[VALUE]
    hidden = np.where(
        is_value,
        small | ((rest >= 1) & (rest < min_count)),
        small & np.isin(cells.kind, [_K[BASE], _K[COUNT]]),
    )
    reason = np.where(hidden, _R[SMALL], _R[SHOWN]).astype(np.int8)
    return cascade(cells, reason)


def _base_value(cells: Cells) -> np.ndarray:
    return np.where(cells.base >= 0, cells.value[np.maximum(cells.base, 0)], 0)


def cascade(cells: Cells, reason: np.ndarray) -> np.ndarray:
    """A hidden base hides its whole row; a hidden value hides the counts derived from it."""
    reason = reason.copy()
    published = cells.kind != _K[LATENT]
    with_base = np.flatnonzero(published & (cells.base >= 0))
    in_hidden_row = with_base[reason[cells.base[with_base]] != _R[SHOWN]]
    reason[in_hidden_row] = _R[ROW]  # its own smallness is not told: hidden with the row
    derived = np.flatnonzero(published & (cells.source >= 0))
    follows = derived[(reason[derived] == _R[SHOWN]) & (reason[cells.source[derived]] != _R[SHOWN])]
    reason[follows] = _R[ROW]
    return reason


# -- what a reader knows of each cell -------------------------------------------------------


def domains(cells: Cells, reason: np.ndarray, min_count: int, rounding_base: int = 1) -> tuple[np.ndarray, ...]:
    """Each cell's domain as the union of two integer intervals [a1, b1] u [a2, b2] (the second
    empty when a2 > b2), as a reader knows it from the publication."""
    n = cells.size
    m = min_count
    v = cells.value.astype(float)
    base_value = _base_value(cells).astype(float)
    a1, b1 = np.zeros(n), np.full(n, INF)
    a2, b2 = np.ones(n), np.zeros(n)  # empty
    kind, r = cells.kind, reason
    latent = kind == _K[LATENT]
    b1[latent] = cells.upper[latent]

    shown = (r == _R[SHOWN]) & ~latent
    national = cells.national if cells.national is not None else np.zeros(n, dtype=bool)
    if rounding_base > 1:
        shown_exact = shown & national
        shown = shown & ~national
        a1[shown_exact], b1[shown_exact] = v[shown_exact], v[shown_exact]
        rounded = np.floor(v / rounding_base + 0.5) * rounding_base
        a1[shown] = np.maximum(rounded[shown] - rounding_base // 2, 0)
        b1[shown] = rounded[shown] + (rounding_base - 1) - rounding_base // 2
        zero = shown & (v == 0)
        a1[zero], b1[zero] = 0, 0
    else:
        a1[shown], b1[shown] = v[shown], v[shown]

    is_value = kind == _K[VALUE]
    small = r == _R[SMALL]
    protect = r == _R[PROTECT]
    # small numbers: 1..m-1; a value count also base-m+1..base-1 (its base is shown)
    plain_small = small & ~is_value
    a1[plain_small], b1[plain_small] = 1, m - 1
    value_small = small & is_value
    a1[value_small], b1[value_small] = 1, min(m - 1, INF)
    a2[value_small] = np.maximum(base_value[value_small] - m + 1, 1)
    b2[value_small] = base_value[value_small] - 1
    # to protect another cell: never zero (a zero is never chosen) and not small: m or more;
    # a value count's base minus it is 0 or m or more: m..base-m, or base itself
    plain_protect = protect & ~is_value
    a1[plain_protect], b1[plain_protect] = m, INF
    value_protect = protect & is_value
    a1[value_protect], b1[value_protect] = m, base_value[value_protect] - m
    a2[value_protect], b2[value_protect] = base_value[value_protect], base_value[value_protect]
    # hidden with its row (or derived from a hidden value): 0 or more (relations bound it)
    row = r == _R[ROW]
    a1[row], b1[row] = 0, INF
    # keep intervals ordered: an empty first interval takes the second's place
    empty1 = a1 > b1
    a1[empty1], b1[empty1], a2[empty1], b2[empty1] = a2[empty1], b2[empty1], 1, 0
    return a1, b1, a2, b2


def snap(lo: np.ndarray, hi: np.ndarray, dom: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds narrowed to the cells' domains: the least and greatest domain point in [lo, hi]."""
    a1, b1, a2, b2 = dom
    in1 = (np.maximum(lo, a1) <= np.minimum(hi, b1)) & (a1 <= b1)
    in2 = (np.maximum(lo, a2) <= np.minimum(hi, b2)) & (a2 <= b2)
    new_lo = np.where(in1, np.maximum(lo, a1), np.where(in2, np.maximum(lo, a2), INF))
    new_hi = np.where(in2, np.minimum(hi, b2), np.where(in1, np.minimum(hi, b1), -INF))
    return new_lo, new_hi


# -- the attack: interval propagation ---------------------------------------------------------


@dataclass
class System:
    """The relations around the unknown cells, every known cell folded into a constant. Entries
    are kept sorted by variable, so the bounds each entry implies reduce per variable in one
    pass (every coefficient is +1 or -1)."""

    entry_relation: np.ndarray  # per entry (unknown cells only), sorted by variable
    entry_var: np.ndarray  # index into `unknown`
    entry_pos: np.ndarray  # coefficient +1 (True) or -1
    equal: np.ndarray  # per relation kept
    constant: np.ndarray  # per relation kept: its own constant plus its known cells
    relation_ids: np.ndarray  # the original relation index of each kept relation
    unknown: np.ndarray  # cell index of each variable


def build_system(rel: Relations, known_value: np.ndarray, unknown_mask: np.ndarray) -> System:
    """Keep the relations holding at least one unknown cell; fold the known ones into constants.
    `known_value` holds the value a reader knows exactly for every known cell."""
    entry_unknown = unknown_mask[rel.cell]
    keep_relation = np.zeros(rel.size, dtype=bool)
    keep_relation[rel.relation[entry_unknown]] = True
    known = ~entry_unknown
    constant = rel.constant + np.bincount(
        rel.relation[known], weights=rel.coef[known] * known_value[rel.cell[known]], minlength=rel.size
    )
    kept = np.flatnonzero(keep_relation)
    new_index = np.full(rel.size, -1, dtype=np.int64)
    new_index[kept] = np.arange(len(kept))
    unknown = np.flatnonzero(unknown_mask)
    var_index = np.full(len(unknown_mask), -1, dtype=np.int64)
    var_index[unknown] = np.arange(len(unknown))
    entries = np.flatnonzero(entry_unknown)
    entries = entries[np.argsort(rel.cell[entries], kind="stable")]
    return System(
        entry_relation=new_index[rel.relation[entries]],
        entry_var=var_index[rel.cell[entries]],
        entry_pos=rel.coef[entries] > 0,
        equal=rel.equal[kept],
        constant=constant[kept].astype(float),
        relation_ids=kept,
        unknown=unknown,
    )


def implied_bounds(sys: System, e: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the entries `e` (of the relations they belong to, taken whole), the bounds each
    relation implies on its entry's variable, given the others' bounds."""
    n_rel = len(sys.equal)
    r, j, pos = sys.entry_relation[e], sys.entry_var[e], sys.entry_pos[e]
    lo_e, hi_e = lo[j], hi[j]
    # each entry's least and greatest contribution a*x (a = +1 or -1); only hi can be inf
    cmin = np.where(pos, lo_e, -hi_e)
    cmax = np.where(pos, hi_e, -lo_e)
    inf_min, inf_max = np.isinf(cmin), np.isinf(cmax)
    fin_min, fin_max = np.where(inf_min, 0.0, cmin), np.where(inf_max, 0.0, cmax)
    smin = np.bincount(r, weights=fin_min, minlength=n_rel) + sys.constant
    smax = np.bincount(r, weights=fin_max, minlength=n_rel) + sys.constant
    nmin = np.bincount(r, weights=inf_min, minlength=n_rel)
    nmax = np.bincount(r, weights=inf_max, minlength=n_rel)
    # the rest of the relation without this entry: a*x = -(rest) when equal, <= -(rest) when not
    rest_min = np.where(nmin[r] - inf_min > 0, -INF, smin[r] - fin_min)
    rest_max = np.where(nmax[r] - inf_max > 0, INF, smax[r] - fin_max)
    ax_hi = -rest_min
    ax_lo = np.where(sys.equal[r], -rest_max, -INF)
    return np.where(pos, ax_lo, -ax_hi), np.where(pos, ax_hi, -ax_lo)


def propagate(
    sys: System, lo: np.ndarray, hi: np.ndarray, dom: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer interval propagation to a fixed point. `lo`, `hi` and `dom` are per variable of
    the system. Each sweep revisits only the relations of the variables the last one narrowed.
    Returns the final bounds and the number of sweeps."""
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    n_rel = len(sys.equal)
    active = np.ones(n_rel, dtype=bool)
    for sweep in range(1, MAX_SWEEPS + 1):
        e = np.flatnonzero(active[sys.entry_relation])
        if len(e) == 0:
            return lo, hi, sweep
        j = sys.entry_var[e]
        x_lo, x_hi = implied_bounds(sys, e, lo, hi)
        starts = np.flatnonzero(np.r_[True, j[1:] != j[:-1]])
        v = j[starts]
        new_lo_v = np.maximum(lo[v], np.maximum.reduceat(x_lo, starts))
        new_hi_v = np.minimum(hi[v], np.minimum.reduceat(x_hi, starts))
        new_lo_v, new_hi_v = snap(new_lo_v, new_hi_v, tuple(d[v] for d in dom))
        if np.any(new_lo_v > new_hi_v):
            bad = v[new_lo_v > new_hi_v][:5]
            raise SuppressionError(
                f"the relations contradict the exact counts around cells {sys.unknown[bad].tolist()}"
            )
        changed = (new_lo_v != lo[v]) | (new_hi_v != hi[v])
        lo[v], hi[v] = new_lo_v, new_hi_v
        moved = np.zeros(len(lo), dtype=bool)
        moved[v[changed]] = True
        active = np.zeros(n_rel, dtype=bool)
        active[sys.entry_relation[moved[sys.entry_var]]] = True
    raise SuppressionError(f"interval propagation found no fixed point in {MAX_SWEEPS} sweeps")


# -- quarters: rolling 12 months and financial years as sums of quarters ---------------------


def quarter_relations(
    cells: Cells, series_ids: np.ndarray, first_id: int, earliest_quarter: int
) -> tuple[Relations, int]:
    """For every window count of the given series: window = sum of its quarters, and for two
    consecutive windows, later - earlier = (new quarter) - (dropped quarter). The quarters are
    new latent cells numbered from `first_id`; quarters before `earliest_quarter` are 0 and left
    out. Returns the relations and how many quarter cells they use."""
    in_series = np.flatnonzero(np.isin(cells.series, series_ids) & (cells.series >= 0))
    if len(in_series) == 0:
        return _empty_relations(), 0
    s = cells.series[in_series]
    f = cells.first_quarter[in_series]
    last = cells.last_quarter[in_series]
    order = np.lexsort((f, s))
    in_series, s, f, last = in_series[order], s[order], f[order], last[order]
    # quarter cells: one per (series, quarter) from the series' first used quarter on
    uniq_series, series_pos = np.unique(s, return_inverse=True)
    q_min = np.full(len(uniq_series), np.iinfo(np.int64).max)
    q_max = np.full(len(uniq_series), np.iinfo(np.int64).min)
    np.minimum.at(q_min, series_pos, np.maximum(f, earliest_quarter))
    np.maximum.at(q_max, series_pos, last)
    span = np.maximum(q_max - q_min + 1, 0)
    offset = np.r_[0, np.cumsum(span)[:-1]] + first_id

    def quarter_cell(pos: np.ndarray, q: np.ndarray) -> np.ndarray:
        return offset[pos] + (q - q_min[pos])

    rel_entries, cell_entries, coef_entries = [], [], []
    n_rel = 0
    # window = sum of its quarters (the known-zero quarters before the data left out)
    width = last - f + 1
    for k in range(int(width.max())):
        q = f + k
        ok = (k < width) & (q >= earliest_quarter)
        idx = np.flatnonzero(ok)
        rel_entries.append(n_rel + idx)
        cell_entries.append(quarter_cell(series_pos[idx], q[idx]))
        coef_entries.append(np.ones(len(idx), dtype=np.int64))
    rel_entries.append(n_rel + np.arange(len(in_series)))
    cell_entries.append(in_series)
    coef_entries.append(-np.ones(len(in_series), dtype=np.int64))
    n_rel += len(in_series)
    n_rel += _consecutive_windows(
        (s, f, last, in_series, series_pos),
        quarter_cell,
        earliest_quarter,
        n_rel,
        (rel_entries, cell_entries, coef_entries),
    )
    relations = Relations(
        relation=np.concatenate(rel_entries),
        cell=np.concatenate(cell_entries),
        coef=np.concatenate(coef_entries),
        equal=np.ones(n_rel, dtype=bool),
        constant=np.zeros(n_rel, dtype=np.int64),
    )
    return relations, int(span.sum())


def _consecutive_windows(series, quarter_cell, earliest_quarter: int, n_rel: int, out) -> int:
    """Consecutive windows of one series (one quarter apart): later - earlier - new + dropped =
    0, appended to the (relation, cell, coefficient) lists of `out`; returns how many."""
    s, f, last, in_series, series_pos = series
    rel_entries, cell_entries, coef_entries = out
    nxt = np.flatnonzero((s[1:] == s[:-1]) & (f[1:] == f[:-1] + 1) & (last[1:] == last[:-1] + 1))
    if not len(nxt):
        return 0
    rel = n_rel + np.arange(len(nxt))
    later, earlier = nxt + 1, nxt
    rel_entries += [rel, rel]
    cell_entries += [in_series[later], in_series[earlier]]
    coef_entries += [np.ones(len(nxt), dtype=np.int64), -np.ones(len(nxt), dtype=np.int64)]
    rel_entries.append(rel)
    cell_entries.append(quarter_cell(series_pos[later], last[later]))
    coef_entries.append(-np.ones(len(nxt), dtype=np.int64))
    dropped = f[earlier]
    keep = dropped >= earliest_quarter
    rel_entries.append(rel[keep])
    cell_entries.append(quarter_cell(series_pos[earlier[keep]], dropped[keep]))
    coef_entries.append(np.ones(int(keep.sum()), dtype=np.int64))
    return len(nxt)


def _empty_relations() -> Relations:
    e = np.array([], dtype=np.int64)
    return Relations(e, e, e, np.array([], dtype=bool), e)


def _concat(a: Relations, b: Relations) -> Relations:
    return Relations(
        relation=np.r_[a.relation, b.relation + a.size],
        cell=np.r_[a.cell, b.cell],
        coef=np.r_[a.coef, b.coef],
        equal=np.r_[a.equal, b.equal].astype(bool),
        constant=np.r_[a.constant, b.constant],
    )


# -- the loop --------------------------------------------------------------------------------


@dataclass
class Attack:
    """What a reader can derive of every cell: bounds of the hidden ones, and which are pinned."""

    lo: np.ndarray  # per cell (published and declared latent), inf where unknown to the system
    hi: np.ndarray
    pinned: np.ndarray  # cell indices of hidden published cells with one feasible value
    relations: Relations  # the relations used (declared and quarters)
    n_cells: int  # cells of the relations (published, declared latent, quarter latents)
    sweeps: int
    system: System = None  # the propagated system (relations around the unknown cells)
    domain: tuple[np.ndarray, ...] = None  # per cell: its domain [a1, b1] u [a2, b2]

    @property
    def domain_lo(self) -> np.ndarray:
        a1, b1, a2, _ = self.domain
        return np.where(a1 <= b1, a1, a2)

    @property
    def domain_hi(self) -> np.ndarray:
        a1, b1, a2, b2 = self.domain
        return np.where(a2 <= b2, b2, b1)


def attack(
    cells: Cells,
    rel: Relations,
    reason: np.ndarray,
    min_count: int,
    rounding_base: int = 1,
    earliest_quarter: int | None = None,
) -> Attack:
    """The reader's attack on a publication: integer interval propagation over every relation."""
    published = cells.kind != _K[LATENT]
    hidden = published & (reason != _R[SHOWN])
    # series with a hidden window get their quarters
    active_series = np.unique(cells.series[hidden & (cells.series >= 0)])
    quarter_rel, n_quarters = (
        quarter_relations(cells, active_series, cells.size, earliest_quarter)
        if earliest_quarter is not None and len(active_series)
        else (_empty_relations(), 0)
    )
    all_rel = _concat(rel, quarter_rel)
    n_all = cells.size + n_quarters
    dom = domains(cells, reason, min_count, rounding_base)
    a1 = np.r_[dom[0], np.zeros(n_quarters)]
    b1 = np.r_[dom[1], np.full(n_quarters, INF)]
    a2 = np.r_[dom[2], np.ones(n_quarters)]
    b2 = np.r_[dom[3], np.zeros(n_quarters)]
    exact = np.r_[
        (a1[: cells.size] == b1[: cells.size]) & (a2[: cells.size] > b2[: cells.size]), np.zeros(n_quarters, bool)
    ]
    unknown = ~exact
    known_value = np.where(exact, a1, 0.0)
    sys = build_system(all_rel, known_value, unknown)
    u = sys.unknown
    sub_dom = (a1[u], b1[u], a2[u], b2[u])
    lo0 = np.where(a1[u] <= b1[u], a1[u], a2[u])
    hi0 = np.where(a2[u] <= b2[u], b2[u], b1[u])
    lo_u, hi_u, sweeps = propagate(sys, lo0, hi0, sub_dom)
    lo, hi = np.full(n_all, -INF), np.full(n_all, INF)
    lo[exact], hi[exact] = known_value[exact], known_value[exact]
    lo[u], hi[u] = lo_u, hi_u
    zero = structural_zeros(
        all_rel, np.r_[(reason == _R[SHOWN]) & published & (cells.value == 0), np.zeros(n_quarters, bool)]
    )
    pinned = np.flatnonzero(hidden & (lo[: cells.size] == hi[: cells.size]) & ~zero[: cells.size])
    return Attack(lo, hi, pinned, all_rel, n_all, sweeps, sys, (a1, b1, a2, b2))


def structural_zeros(rel: Relations, shown_zero: np.ndarray) -> np.ndarray:
    """The cells that are 0 because a published zero contains them: every part of a relation
    whose other side is all zeros (a split of a zero total, a step under a zero step, a quarter
    of a zero window), and every count of a relation that says counts add up to 0 (what is
    pending in a closed year). Such a hidden cell is 0 and the reader knows it, but it tells nothing of
    its own: the published zero already says it of everyone it counts (docs/disclosure.md)."""
    zero = shown_zero.copy()
    plain = rel.constant[rel.relation] == 0
    pos = rel.coef > 0
    while True:
        # per relation: are all its -1 members (the containing side) zero? all its +1 members?
        neg_nonzero = np.bincount(rel.relation, weights=~pos & ~zero[rel.cell], minlength=rel.size) > 0
        pos_nonzero = np.bincount(rel.relation, weights=pos & ~zero[rel.cell], minlength=rel.size) > 0
        has_neg = np.bincount(rel.relation, weights=~pos, minlength=rel.size) > 0
        r = rel.relation
        has_pos = np.bincount(rel.relation, weights=pos, minlength=rel.size) > 0
        to_zero = plain & (
            (pos & has_neg[r] & ~neg_nonzero[r])  # the parts of a zero whole
            | (~pos & rel.equal[r] & ~pos_nonzero[r])  # an equal whole of zero parts
            | (rel.equal[r] & (has_pos[r] != has_neg[r]))  # counts that add up to 0 (pending of a closed year)
        )
        new = zero.copy()
        new[rel.cell[to_zero]] = True
        if np.array_equal(new, zero):
            return zero
        zero = new


def solve(
    cells: Cells,
    rel: Relations,
    min_count: int,
    rounding_base: int = 1,
    earliest_quarter: int | None = None,
    max_rounds: int = 200,
    progress=None,
) -> Result:
    """Primary suppression, then complementary suppression until the attack pins no hidden cell."""
    reason = primary(cells, min_count)
    result = Result(reason)
    for round_ in range(1, max_rounds + 1):
        found = attack(cells, rel, reason, min_count, rounding_base, earliest_quarter)
        result.rounds = round_
        result.pinned_per_round.append(len(found.pinned))
        if progress:
            progress(round_, found, reason)
        if len(found.pinned) == 0:
            result.reason = reason
            return result
        chosen = complements(cells, found, reason, min_count)
        if len(chosen) == 0:
            chosen = unsaid_small(cells, found, reason)
        if len(chosen) == 0:
            raise SuppressionError(
                f"{len(found.pinned)} hidden cells are pinned and no shown cell can protect them "
                f"(first: {cells.key[found.pinned[0]]})"
            )
        reason = reason.copy()
        reason[chosen] = _R[PROTECT]
        reason = cascade(cells, reason)
    raise SuppressionError(f"complementary suppression did not settle in {max_rounds} rounds")


# the highest disclosure_cells.priority a count hidden at each level of need may have: below
# England (partner 0, open 1, C20's areas 2), England's (3), England's C20, the headline (4)
LEVEL_PRIORITY = (2, 3, 4)


def complements(cells: Cells, found: Attack, reason: np.ndarray, min_count: int) -> np.ndarray:
    """For each pinned cell, one count to hide next. A pinned cell's least and greatest value
    come from its domain or from relations that are tight on it (the bound they imply is its
    bound). The count hidden is the one, among the shown non-zero counts of its tight relations,
    with the least priority (disclosure_cells.priority: partner tier, then open tier, England
    last), then the smallest; a tight relation with nothing shown left passes the search on to
    its hidden members at their own bounds. A pinned cell whose every tight relation runs
    through another pinned count waits for that one; a relation loosened this round is not
    loosened twice. The attack then runs again: one count at a time keeps the hidden few."""
    search = _Complements(cells, found, reason, min_count)
    deferred = []
    for c in found.pinned[np.argsort(search.value[found.pinned], kind="stable")]:
        if search.follows_another(int(c)):
            deferred.append(int(c))
        elif not search.protect(int(c)):
            search.fall_back(int(c))
    # a pin that runs through other pinned counts waits for them, unless none of them was
    # protected this round (two counts pinned through each other wait for no one)
    for c in deferred:
        if not search.protect(c):
            search.fall_back(c)
    return np.unique(np.asarray(search.chosen, dtype=np.int64))


class _Complements:
    """The state of one round's search for counts to hide (complements)."""

    def __init__(self, cells: Cells, found: Attack, reason: np.ndarray, min_count: int):
        self.found = found
        self.rel = found.relations
        n = found.n_cells
        self.value = np.zeros(n)
        self.value[: cells.size] = cells.value
        self.priority = np.full(n, INF)
        self.priority[: cells.size] = cells.cost
        self.base_of = np.full(n, -1, dtype=np.int64)
        self.base_of[: cells.size] = cells.base
        self._eligibility(cells, reason, min_count)
        self._tightness()
        rel = self.rel
        self.by_rel = np.argsort(rel.relation, kind="stable")
        self.rel_start = np.searchsorted(rel.relation[self.by_rel], np.arange(rel.size))
        self.rel_end = np.searchsorted(rel.relation[self.by_rel], np.arange(rel.size), side="right")
        self.by_cell = np.argsort(rel.cell, kind="stable")
        self.cell_start = np.searchsorted(rel.cell[self.by_cell], np.arange(n))
        self.cell_end = np.searchsorted(rel.cell[self.by_cell], np.arange(n), side="right")
        self.used: set[int] = set()
        self.chosen: list[int] = []
        self.chosen_mask = np.zeros(n, dtype=bool)
        self.protected = np.zeros(n, dtype=bool)
        self.tight_cache: dict[int, list[np.ndarray]] = {}
        self.own_cache: dict[int, list[np.ndarray]] = {}

    def _eligibility(self, cells: Cells, reason: np.ndarray, min_count: int) -> None:
        """Which counts may be hidden next, which come last (fragile), which a reader cannot see."""
        n = self.found.n_cells
        eligible = np.zeros(n, dtype=bool)
        eligible[: cells.size] = (reason == _R[SHOWN]) & (cells.kind != _K[LATENT]) & (cells.kind != _K[DERIVED])
        eligible &= self.value > 0
        base_value = np.zeros(n)
        base_value[: cells.size] = _base_value(cells)
        is_value = np.zeros(n, dtype=bool)
        is_value[: cells.size] = cells.kind == _K[VALUE]
        # a value count hidden to protect another is known to be min_count..base-min_count, or
        # its base: only one strictly inside that range has room on both sides
        eligible &= ~is_value | ((self.value > min_count) & (self.value < base_value - min_count))
        self.eligible = eligible
        # a count hidden to protect another is known to be min_count or more (a value count also
        # at most its base minus min_count, or its base): one at an end of that range has no
        # room on that side, and the next relation that bounds it pins it; such counts come last
        self.fragile = np.zeros(n, dtype=bool)
        self.fragile[: cells.size] = (cells.value == min_count) | (
            (cells.kind == _K[VALUE])
            & ((cells.value >= _base_value(cells) - min_count) | (_base_value(cells) < 2 * min_count + 2))
        )
        self.not_seen = np.ones(n, dtype=bool)  # hidden, or unknown to a reader (latent)
        self.not_seen[: cells.size] = (reason != _R[SHOWN]) | (cells.kind == _K[LATENT])

    def _tightness(self) -> None:
        """The tight entries of the propagated system: a relation is tight on a side when its
        bound, snapped to the domain, is the cell's bound: it allows no domain value beyond it
        (across a hole of the domain too)."""
        found, sys = self.found, self.found.system
        self.var_of = np.full(found.n_cells, -1, dtype=np.int64)
        self.var_of[sys.unknown] = np.arange(len(sys.unknown))
        every = np.arange(len(sys.entry_var))
        x_lo, x_hi = implied_bounds(sys, every, found.lo[sys.unknown], found.hi[sys.unknown])
        v_lo, v_hi = found.lo[sys.unknown][sys.entry_var], found.hi[sys.unknown][sys.entry_var]
        a1, b1, a2, b2 = (d[sys.unknown][sys.entry_var] for d in found.domain)
        has_second = a2 <= b2
        next_above = np.where(has_second & (v_hi >= b1) & (v_hi < a2), a2, v_hi + 1)
        prev_below = np.where(has_second & (v_lo <= a2) & (v_lo > b1), b1, v_lo - 1)
        self.tight_lo = x_lo > prev_below
        self.tight_hi = x_hi < next_above
        self.domain_lo, self.domain_hi = found.domain_lo, found.domain_hi  # computed once, read per cell
        self.var_start = np.searchsorted(sys.entry_var, np.arange(len(sys.unknown)))
        self.var_end = np.searchsorted(sys.entry_var, np.arange(len(sys.unknown)), side="right")

    def members(self, r_original: int) -> np.ndarray:
        return self.rel.cell[self.by_rel[self.rel_start[r_original] : self.rel_end[r_original]]]

    def rank(self, x: int) -> tuple:
        """Which count to hide first: the partner tier's before the open tier's and England's
        last; not fragile; then the smallest."""
        return (self.priority[x], bool(self.fragile[x]), self.value[x])

    def best_in(self, r_original: int, level: int = 0) -> int:
        """The first count by rank of a relation that may be hidden at this level: 0, below
        England; 1, England's too; 2, England's C20 too (the headline, shown as PHOF shows it
        unless nothing else can protect a count)."""
        m = self.members(r_original)
        m = m[self.eligible[m] & (self.priority[m] <= LEVEL_PRIORITY[level])]
        if len(m) == 0:
            return -1
        return int(min(m, key=lambda x: self.rank(int(x))))

    def pinned(self, m: np.ndarray) -> np.ndarray:
        return self.found.lo[m] == self.found.hi[m]

    def tight_relations(self, c: int) -> list[np.ndarray]:
        """The tight relations (original ids) of cell c on each side it is pinned from."""
        if c in self.tight_cache:
            return self.tight_cache[c]
        found, sys = self.found, self.found.system
        sides = []
        v = self.var_of[c]
        if v >= 0:
            es = np.arange(self.var_start[v], self.var_end[v])
            if found.lo[c] > self.domain_lo[c]:
                sides.append(sys.relation_ids[sys.entry_relation[es[self.tight_lo[es]]]])
            if found.hi[c] < self.domain_hi[c]:
                sides.append(sys.relation_ids[sys.entry_relation[es[self.tight_hi[es]]]])
        self.tight_cache[c] = sorted((np.unique(side) for side in sides if len(side)), key=len)
        return self.tight_cache[c]

    def own_sides(self, c: int) -> list[np.ndarray]:
        """c's tight relations per side, without those that are tight only through another
        count a reader cannot see but can pin (a pinned hidden count, a fixed quarter):
        loosening that one's relations may free c too. A side left empty is dropped."""
        if c in self.own_cache:
            return self.own_cache[c]
        sides = []
        for side in self.tight_relations(c):
            own = []
            for r in side:
                m = self.members(int(r))
                others = m[(m != c) & self.not_seen[m]]
                if not np.any(self.pinned(others)):
                    own.append(r)
            if own:
                sides.append(np.asarray(own))
        self.own_cache[c] = sorted(sides, key=len)
        return self.own_cache[c]

    def follows_another(self, c: int) -> bool:
        return bool(self.tight_relations(c)) and not self.own_sides(c)

    def candidates_beyond(self, r: int, c: int) -> list[tuple]:
        """(rank..., cell, relation) of the shown counts that loosen relation r from behind: r has
        nothing shown left, so look at the relations tight on the counts it holds that a reader
        can pin, breadth first (the nearest first), a few steps and cells at most."""
        m = self.members(r)
        frontier = [int(y) for y in m[(m != c) & self.pinned(m) & self.not_seen[m]]]
        seen = {c, *frontier}
        for _ in range(4):
            found_here, following = [], []
            for x in frontier:
                for side in self.own_sides(x) or self.tight_relations(x):
                    for r2 in side:
                        m2 = self.members(int(r2))
                        shown_here = m2[self.eligible[m2] & (self.priority[m2] <= LEVEL_PRIORITY[0])]
                        found_here += [(*self.rank(int(y)), int(y), int(r2)) for y in shown_here]
                        if not len(shown_here):
                            for y in m2[self.pinned(m2) & self.not_seen[m2]]:
                                if int(y) not in seen and len(seen) < 256:
                                    seen.add(int(y))
                                    following.append(int(y))
            if found_here:
                return found_here
            frontier = following
        return []

    def loosened(self, r: int) -> bool:
        """Whether relation r holds a count hidden, or a pinned count protected, this round."""
        m = self.members(r)
        return r in self.used or bool(np.any(self.chosen_mask[m])) or bool(np.any(self.protected[m]))

    def hide(self, pick: int, r: int | None, c: int) -> None:
        self.chosen.append(int(pick))
        self.chosen_mask[pick] = True
        self.eligible[pick] = False
        if r is not None:
            self.used.add(int(r))
        self.protected[c] = True

    def protect(self, c: int) -> bool:
        """Loosen every relation tight on one side of c (the side with fewest): in each, hide
        the first count by rank; a relation with nothing shown left passes the search on to the
        counts it holds that a reader can pin. Nothing to do when every tight relation of a side
        was loosened this round already."""
        sides = self.own_sides(c) or self.tight_relations(c)
        if any(all(self.loosened(int(r)) for r in side) for side in sides):
            self.protected[c] = True  # freed by what this round hides already, it frees others too
            return True
        for side in sides:
            picks = self._picks(side, c)
            if picks is not None:
                for pick, r in picks:
                    self.hide(pick, r, c)
                self.protected[c] = True
                return True
        return False

    def _picks(self, side: np.ndarray, c: int) -> list[tuple[int, int]] | None:
        """One count to hide in each relation of a side not loosened yet; None when one of them
        has none."""
        picks = []
        for r in side:
            r = int(r)
            if self.loosened(r):
                continue
            pick = self.best_in(r)
            if pick < 0:
                options = self.candidates_beyond(r, c)
                if options:
                    *_, pick, r = min(options)
                else:
                    pick = self.best_in(r, 1)
                    pick = pick if pick >= 0 else self.best_in(r, 2)
                    if pick < 0:
                        return None
            picks.append((pick, r))
        return picks

    def fall_back(self, c: int) -> None:
        """No tight relation can be loosened from here. A count whose row's base is shown is
        freed by hiding the base (its row goes with it, and a reader then knows only that it is
        0 or more); else the first count by rank of any relation of the cell."""
        b = self.base_of[c]
        if b >= 0 and self.eligible[b] and self.priority[b] <= LEVEL_PRIORITY[0]:
            self.hide(int(b), None, c)
            return
        relations = np.unique(self.rel.relation[self.by_cell[self.cell_start[c] : self.cell_end[c]]])
        for level in (0, 1, 2):
            options = []
            for r in relations:
                pick = self.best_in(int(r), level)
                if pick >= 0:
                    options.append((*self.rank(pick), pick, int(r)))
            if options:
                *_, pick, r = min(options)
                self.hide(pick, r, c)
                return
        if b >= 0 and self.eligible[b]:
            self.hide(int(b), None, c)


def unsaid_small(cells: Cells, found: Attack, reason: np.ndarray) -> np.ndarray:
    """When every count of the relations that pin a cell is hidden already, no further count
    can protect it: what pins it is the notes themselves (seven providers with one problem each,
    each "small", and England's 7, "small" too, whose sum must be 7). Then one small count of
    each such relation - the one a reader would least expect, by priority (England first) and
    then the largest - is hidden "to protect another cell" instead, which does not tell a
    reader it is below the threshold; the attack then runs again."""
    rel = found.relations
    pinned = np.zeros(found.n_cells, dtype=bool)
    pinned[found.pinned] = True
    small = np.zeros(found.n_cells, dtype=bool)
    small[: cells.size] = (reason == _R[SMALL]) & (cells.kind != _K[LATENT])
    touched = np.unique(rel.relation[pinned[rel.cell]])
    chosen = set()
    for r in touched:
        members = rel.cell[rel.relation == r]
        members = members[small[members]]
        if len(members):
            chosen.add(int(max(members, key=lambda x: (cells.cost[x], cells.value[x]))))
    return np.asarray(sorted(chosen), dtype=np.int64)


# -- from and to tables ------------------------------------------------------------------------


def problem_from_frames(cells, relations, with_addresses: bool = False):
    """The solver's arrays from the two tables the dbt models write (Polars frames):
    disclosure_cells (cell_key, address, table_name, row_key, measure, kind, value, base_key,
    source_key, series_key, first_quarter, last_quarter, is_national, is_published) and
    disclosure_relations (relation_key, address, coefficient, is_equality, constant). Published
    counts sharing a cell_key are one cell (the first listed describes it). A relation entry
    names a published address or an unknown; an unknown, or an unpublished cell, is a latent."""
    import polars as pl

    addresses = cells.select("address", "cell_key")
    entries = relations.join(addresses, on="address", how="left").with_columns(
        pl.coalesce("cell_key", "address").alias("cell_key")
    )
    cells, entries = _merge_equal(cells, entries)
    quantities = cells.with_columns(
        pl.col("is_published").any().over("cell_key"), pl.col("priority").max().over("cell_key")
    ).unique("cell_key", keep="first", maintain_order=True)
    unknowns = entries.select("cell_key").unique().join(quantities.select("cell_key"), on="cell_key", how="anti")
    frame = pl.concat([quantities, unknowns], how="diagonal_relaxed").with_row_index("idx")
    frame = frame.with_columns(
        pl.col("idx").cast(pl.Int64),
        pl.col("value").fill_null(0),
        pl.when(pl.col("is_published").fill_null(False)).then(pl.col("kind")).otherwise(pl.lit(LATENT)).alias("kind"),
        pl.when(pl.col("series_key").is_not_null())
        .then(pl.col("series_key").rank("dense").cast(pl.Int64) - 1)
        .otherwise(-1)
        .alias("series"),
    )
    index = frame.select("cell_key", "idx")
    frame = (
        frame.join(index.rename({"cell_key": "base_key", "idx": "base"}), on="base_key", how="left")
        .join(index.rename({"cell_key": "source_key", "idx": "source"}), on="source_key", how="left")
        .sort("idx")
    )
    rel = _relations_of(entries, index)
    return (_cells_of(frame), rel, cells) if with_addresses else (_cells_of(frame), rel)


def _merge_equal(cells, entries):
    """Two counts a relation says are equal (a - b = 0) are one quantity: one cell, one decision."""
    import polars as pl

    same = _equal_pairs(entries)
    if not same:
        return cells, entries
    first = {k: i for i, k in enumerate(cells["cell_key"].unique(maintain_order=True).to_list())}
    alias = _union(same, lambda k: first.get(k, len(first)))
    rename = pl.DataFrame({"cell_key": list(alias), "merged": list(alias.values())})

    def renamed(frame):
        return (
            frame.join(rename, on="cell_key", how="left")
            .with_columns(pl.coalesce("merged", "cell_key").alias("cell_key"))
            .drop("merged")
        )

    cells = renamed(cells).with_columns(pl.col("base_key").replace(alias), pl.col("source_key").replace(alias))
    return cells, renamed(entries)


def _cells_of(frame) -> Cells:
    import polars as pl

    return Cells(
        key=frame["cell_key"].to_numpy(),
        value=frame["value"].to_numpy().astype(np.int64),
        kind=frame["kind"].replace_strict(_K, return_dtype=pl.Int8).to_numpy(),
        base=frame["base"].fill_null(-1).to_numpy().astype(np.int64),
        source=frame["source"].fill_null(-1).to_numpy().astype(np.int64),
        upper=np.full(frame.height, INF),
        cost=frame["priority"].fill_null(0).cast(pl.Float64).to_numpy(),
        series=frame["series"].to_numpy(),
        first_quarter=frame["first_quarter"].fill_null(0).to_numpy().astype(np.int64),
        last_quarter=frame["last_quarter"].fill_null(0).to_numpy().astype(np.int64),
        national=frame["is_national"].fill_null(False).to_numpy(),
    )


def _relations_of(entries, index) -> Relations:
    """One entry per relation and cell (a relation may name one quantity under two addresses)."""
    import polars as pl

    entries = (
        entries.join(index, on="cell_key", how="left")
        .group_by("relation_key", "idx")
        .agg(pl.col("coefficient").sum(), pl.col("is_equality").first(), pl.col("constant").first())
        .filter(pl.col("coefficient") != 0)
        .with_columns((pl.col("relation_key").rank("dense").cast(pl.Int64) - 1).alias("relation"))
        .sort("relation", "idx")
    )
    per_relation = (
        entries.group_by("relation").agg(pl.col("is_equality").first(), pl.col("constant").first()).sort("relation")
    )
    rel = Relations(
        relation=entries["relation"].to_numpy(),
        cell=entries["idx"].to_numpy().astype(np.int64),
        coef=entries["coefficient"].to_numpy().astype(np.int64),
        equal=per_relation["is_equality"].to_numpy(),
        constant=per_relation["constant"].to_numpy().astype(np.int64),
    )
    if np.any(np.abs(rel.coef) != 1):
        raise SuppressionError("every relation coefficient must be +1 or -1")
    return rel


def _equal_pairs(entries) -> list[tuple[str, str]]:
    """The pairs of quantities that a relation of two entries, +1 and -1, with no constant,
    says are equal."""
    import polars as pl

    two = (
        entries.group_by("relation_key")
        .agg(
            pl.col("cell_key"),
            pl.col("coefficient").sum().alias("total"),
            pl.len().alias("n"),
            pl.col("is_equality").first(),
            pl.col("constant").first(),
        )  # fmt: skip
        .filter((pl.col("n") == 2) & (pl.col("total") == 0) & pl.col("is_equality") & (pl.col("constant") == 0))
    )
    return [(a, b) for a, b in two["cell_key"].to_list() if a != b]


def _union(pairs: list[tuple[str, str]], order) -> dict[str, str]:
    """Union-find over equal pairs: every key mapped to its group's first key by `order`."""
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        while parent.get(k, k) != k:
            parent[k] = parent.get(parent[k], parent[k])
            k = parent[k]
        return k

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            keep, drop = (ra, rb) if order(ra) <= order(rb) else (rb, ra)
            parent[drop] = keep
    return {k: root(k) for k in parent if root(k) != k}


def check_relations(cells: Cells, rel: Relations) -> list[int]:
    """Relations (without unknowns) that the exact counts break: a relation modelled wrongly."""
    has_unknown = np.bincount(rel.relation, weights=cells.kind[rel.cell] == _K[LATENT], minlength=rel.size) > 0
    total = np.bincount(rel.relation, weights=rel.coef * cells.value[rel.cell], minlength=rel.size) + rel.constant
    broken = ~has_unknown & np.where(rel.equal, total != 0, total > 0)
    return np.flatnonzero(broken).tolist()


def solve_tables(cells, relations, min_count: int, rounding_base: int = 1, earliest_quarter: int | None = None):
    """disclosure_cells and disclosure_relations (Polars frames) in, the decision per published
    cell out: cell_key, table_name, row_key, measure, reason ('shown', 'small', 'protect',
    'row'). Refuses relations that the exact counts break (a relation modelled wrongly would
    protect nothing)."""
    import polars as pl

    # the same decisions whatever order the engine returns the rows in (DuckDB, Spark)
    cells = cells.sort("address")
    relations = relations.sort("relation_key", "address", "coefficient")
    c, rel, merged = problem_from_frames(cells, relations, with_addresses=True)
    broken = check_relations(c, rel)
    if broken:
        raise SuppressionError(f"{len(broken)} relations do not hold on the exact counts (relation ids {broken[:5]})")
    result = solve(c, rel, min_count, rounding_base, earliest_quarter)
    decided = pl.DataFrame(
        {
            "cell_key": pl.Series(list(c.key), dtype=pl.String),
            "reason": pl.Series(list(result.names()), dtype=pl.String),
        }
    )
    return (
        merged.filter(pl.col("is_published"))
        .select("address", "cell_key", "table_name", "row_key", "measure")
        .join(decided, on="cell_key", how="left")
    )


def earliest_quarter_of(period_labels) -> int | None:
    """The quarter index of the earliest data (int_c20_period_labels.earliest_data_date):
    quarters before it hold no release, as the partial-period notes tell a reader."""
    dates = period_labels["earliest_data_date"].drop_nulls()
    if dates.is_empty():
        return None
    first = dates.min()
    return first.year * 4 + (first.month - 1) // 3
