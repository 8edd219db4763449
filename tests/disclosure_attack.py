"""The attack a statistician would make on a publication (indicators.md s.4, s.6; docs/disclosure.md).

Every relation between the published tables that a reader of the open and partner tiers holds (a
partner holds both) is modelled as integer interval constraints over the counts, and the bounds are
propagated to a fixed point. A hidden count whose bounds meet is pinned: a reader can work it out.
`attack(folder)` returns every pinned hidden cell with the chain of relations that pinned it.

Written from the specification and the marts, independently of the publication's own suppression
(which it must defeat, not share): the cells are read back from the published tables, each with
the domain its value note allows, and `relations_violated(warehouse)` checks that every relation
holds exactly on the warehouse's own marts, so a relation modelled wrongly is found, not trusted.

Variables: one per published count, plus latents: the judged releases not engaged of each rate
row (base = value count + rest), the releases to areas outside the local-authority list (England =
regions + outside), the quarter counts of each period series, each ER site's and group's cohort.
Relations: sums with coefficients +-1 (members = total, or <= where a release can be counted
twice), propagated with exact integer bound arithmetic, vectorised in numpy.
Domains: a shown count is exact (in a rounded release within +-floor(base/2), never 1-7); a hidden
count has the domain its value note allows: small numbers 1-7 (a value count whose base is shown:
1-7 or base-7..base-1), to protect another cell 0 or >= 8 (a value count: base minus it too), hidden
with its row: what the relations allow. Bounds are snapped to those domains at every step.
"""

from __future__ import annotations

import copy
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

BIG = 10**12  # an upper bound no count reaches (int64 sums of these stay exact)
MIN_COUNT = 8  # counts 1..MIN_COUNT-1 are small (dbt var disclosure_min_count)
Z95 = 1.959964
EQ, LE, GE = 0, 1, 2
ENGAGEMENT_WINDOW_DAYS = 21  # dbt var engagement_window_days
DEBUG = False
SMALL, PROTECT = "suppressed: small numbers", "suppressed: to protect another cell"
ROW_SMALL, ROW_PROTECT = "Suppressed: small numbers", "Suppressed: to protect another cell"
REST = "not_engaged"  # base - value count, where the table has no such column (a latent)
OUTSIDE = "outside the LA list"
UNKNOWN = "(tables the attack does not model)"


@dataclass(frozen=True)
class Spec:
    keys: tuple[str, ...]
    counts: tuple[str, ...]  # every count column (the value count may be derived from the rate)
    base: str | None = None  # denominator / n / transferred / releases
    value: str | None = None  # numerator / achieved / engaged / x
    rest: str = REST  # base - value: audit's not_engaged column, else a latent
    rate: str | None = None  # the rate beside the counts (value / base x scale)
    scale: float = 100.0
    more_rates: tuple[tuple[str, str], ...] = ()  # (rate, count): count / base x scale
    rate_when: str | None = None  # a count that must be 0 for the rates to be counts' rates
    suffix: str | None = None  # further counts: every column ending so


def counts_of(spec: Spec, df: pl.DataFrame) -> list[str]:
    extra = [c for c in df.columns if spec.suffix and c.endswith(spec.suffix) and c not in spec.counts]
    return [c for c in (*spec.counts, *extra) if c in df.columns]


# fmt: off
SPECS = {
    "phof_c20": Spec(
        ("period_type", "period_start", "geography_type", "geography_code"),
        ("denominator", "numerator", "pending"), "denominator", "numerator", REST, "value_pct"),
    "phof_c20_funnel": Spec(
        ("period_type", "period_start", "geography_type", "geography_code"),
        ("denominator", "numerator"), "denominator", "numerator", REST, "value_pct"),
    "audit_attrition": Spec(
        ("period_type", "period_start", "geography_type", "geography_code", "split_type", "split_value"),
        ("transferred", "referral_received", "appointment_offered", "engaged", "not_engaged",
         "referral_recording_gap", "appointment_recording_gap"),
        "transferred", "engaged", "not_engaged", "engaged_pct"),
    "continuity_flows": Spec(
        ("period_type", "period_start", "flow_type", "estab_code", "exit_la_code"),
        ("releases", "engaged", "pending"), "releases", "engaged", REST, "value_pct"),
    "er_outcomes_summary": Spec(
        ("site", "priority_group", "outcome"),
        ("n", "achieved", "pending", "not_known", "not_applicable", "site_referrals", "site_accepted",
         "site_released"), "n", "achieved", REST, "value_pct"),
    "recording_issues_summary": Spec(
        ("financial_year", "provider_role", "provider", "issue_type"),
        ("issues", "releases_affected", "releases_would_engage", "ambiguous_candidates")),
    "inequality_breakdowns": Spec(("outcome", "adjusted", "variable", "category"), ("n", "x"), "n", "x", REST, "mean", 1.0),
    "c20_recording_adjusted": Spec(
        ("period_type", "period_start", "geography_type", "geography_code", "provider_role", "provider"),
        ("denominator", "numerator", "releases_fix_would_engage", "adjusted_numerator"), "denominator",
        "numerator", REST, "value_pct",
        more_rates=(("adjusted_value_pct", "adjusted_numerator"), ("difference_pct_points", "releases_fix_would_engage")),
        suffix="_problems"),
    "time_to_treatment": Spec(
        ("period_type", "period_start", "geography_type", "geography_code", "day"),
        ("releases_followed", "at_risk", "started", "started_on_day", "censored"), "releases_followed", "started", REST,
        "started_pct",
        rate_when="censored"),
}
# per-period series: their counts (with the latent rest) and the columns naming one series
SERIES = {
    "phof_c20": (("denominator", "numerator", REST, "pending"), ("geography_type", "geography_code")),
    "audit_attrition": (SPECS["audit_attrition"].counts, ("geography_type", "geography_code", "split_type",
                                                          "split_value")),
    "continuity_flows": (("releases", "engaged", REST, "pending"), ("estab_code", "exit_la_code")),
}
# the audit funnel's steps, counts of the row's base like its value count (engaged)
FUNNEL_STEPS = {"transferred": ("referral_received", "appointment_offered")}
TO_PHOF = {"releases": "denominator", "transferred": "denominator", "engaged": "numerator", "n": "denominator",
           "x": "numerator", REST: REST, "not_engaged": REST, "pending": "pending"}
# fmt: on
# breakdown variables whose age-and-sex-standardised rate is the crude rate on the same n: the
# strata of an age band (or sex) category are the standard population's strata of that age band
# (sex), weighted by their own sizes (int_inequality_standardised), so the adjusted row is a twin
STANDARDISED_AS_CRUDE = ("total", "age_band", "sex")
# the rounding era: rows published exact (national); every other count rounded
LEGACY_NATIONAL = {
    "phof_c20": pl.col("geography_type") == "england",
    "audit_attrition": pl.col("geography_type") == "england",
    "recording_issues_summary": pl.col("provider_role") == "england",
    "inequality_breakdowns": pl.col("variable") == "total",
}


# --------------------------------------------------------------------------------------------
# The constraint system and its propagation
# --------------------------------------------------------------------------------------------


@dataclass
class Pinned:
    cell: str  # table[row key].column
    value: int  # the one value the published figures allow
    solution: Solution = field(repr=False, compare=False)
    variable: int = field(repr=False, compare=False)

    @property
    def chain(self) -> list[str]:
        """The relations that pinned it, nearest first (worked out when asked: it can be long)."""
        return self.solution.chain(self.variable)

    def __str__(self) -> str:
        return f"{self.cell} = {self.value}\n    " + "\n    ".join(self.chain)


class System:
    """Integer variables (bounds, one excluded range, and for a value count hidden as small beside
    its base: the range 8..base-8 excluded) and +-1 linear relations (= or <=)."""

    def __init__(self):
        self.lo, self.hi, self.gap_lo, self.gap_hi, self.hidden, self.rounded = [], [], [], [], [], []
        self.labels: list[str] = []
        self.dyn_vars, self.dyn_bases = [], []
        self.e_con, self.e_var, self.e_coef, self.kind = [], [], [], []
        self.family: list[str] = []
        self.n_vars = self.n_cons = 0
        self.zero = self.add_vars([0], [0], ["0 (no row: none)"])[0]

    def add_vars(self, lo, hi, labels, gap_lo=None, gap_hi=None, hidden=None, rounded=None) -> np.ndarray:
        n = len(labels)
        self.lo.append(np.asarray(lo, np.int64))
        self.hi.append(np.asarray(hi, np.int64))
        self.gap_lo.append(np.ones(n, np.int64) if gap_lo is None else np.asarray(gap_lo, np.int64))
        self.gap_hi.append(np.zeros(n, np.int64) if gap_hi is None else np.asarray(gap_hi, np.int64))
        self.hidden.append(np.zeros(n, bool) if hidden is None else np.asarray(hidden, bool))
        self.rounded.append(np.zeros(n, bool) if rounded is None else np.asarray(rounded, bool))
        self.labels.extend(labels)
        self.n_vars += n
        return np.arange(self.n_vars - n, self.n_vars, dtype=np.int64)

    def latent(self, labels: list[str]) -> np.ndarray:
        return self.add_vars(np.zeros(len(labels)), np.full(len(labels), BIG), labels)

    def small_beside(self, variables, bases):
        """A value count (or base minus it) hidden as small while its base is shown: 1-7 or
        base-7..base-1, so never 8..L(base)-8."""
        self.dyn_vars.append(np.asarray(variables, np.int64))
        self.dyn_bases.append(np.asarray(bases, np.int64))

    def relation(self, family: str, terms: list[tuple[np.ndarray, int]], kind: int = EQ):
        """Elementwise over aligned arrays of variables: sum of coef x var = 0 (or <= 0). A variable
        of -1 is left out of its relation."""
        size = len(terms[0][0])
        if size == 0:
            return
        con = self.n_cons + np.arange(size, dtype=np.int64)
        for variables, coef in terms:
            variables = np.asarray(variables, np.int64)
            keep = variables >= 0
            self.e_con.append(con[keep])
            self.e_var.append(variables[keep])
            self.e_coef.append(np.full(int(keep.sum()), coef, np.int64))
        self.kind.append(np.full(size, kind, np.int64))
        self.family += [family] * size
        self.n_cons += size

    def equal(self, family, a, b):
        self.relation(family, [(a, 1), (b, -1)])

    def at_most(self, family, a, b):
        """a <= b"""
        self.relation(family, [(a, 1), (b, -1)], LE)

    def sums(self, family, members, groups, totals, kind=EQ):
        """For each group g: the members with that group sum to totals[g] (<= it with kind LE, >= with GE)."""
        members, groups, totals = (np.asarray(a, np.int64) for a in (members, groups, totals))
        if len(totals) == 0:
            return
        sign = -1 if kind == GE else 1  # members >= total: total - members <= 0
        con = self.n_cons + np.arange(len(totals), dtype=np.int64)
        keep = members >= 0
        self.e_con += [con[groups[keep]], con[totals >= 0]]
        self.e_var += [members[keep], totals[totals >= 0]]
        self.e_coef += [np.full(int(keep.sum()), sign, np.int64), np.full(int((totals >= 0).sum()), -sign, np.int64)]
        self.kind.append(np.full(len(totals), LE if kind == GE else kind, np.int64))
        self.family += [family] * len(totals)
        self.n_cons += len(totals)

    def solve(self, max_rounds: int = 10_000) -> Solution:
        return Solution(self, max_rounds)

    def zeros_alone(self) -> System:
        """The same relations with nothing known but the published zeros (every other count 0 or
        more): what a reader learns from the zeros alone. A hidden count this leaves at 0 is a part
        of a published zero (a split of a zero total, a step under a zero step): the zero already
        says it of everyone it counts, so knowing it discloses nothing of its own."""
        cat = np.concatenate
        lo, hi, hidden = cat(self.lo), cat(self.hi), cat(self.hidden)
        shown_zero = (lo == 0) & (hi == 0) & ~hidden
        z = copy.copy(self)
        z.lo, z.hi = [np.zeros_like(lo)], [np.where(shown_zero, 0, BIG)]
        z.gap_lo, z.gap_hi = [np.ones_like(lo)], [np.zeros_like(lo)]
        z.dyn_vars, z.dyn_bases = [], []
        return z


class Solution:
    """Bounds propagated to a fixed point, with the relation that last moved each bound. The
    variables known from the start are folded into their relations' constants (a relation with
    nothing unknown left is only checked); each round revisits only the relations of the
    variables whose bounds moved in the round before."""

    def __init__(self, s: System, max_rounds: int):
        self.s = s
        cat = np.concatenate
        lo, hi, g_lo, g_hi = cat(s.lo), cat(s.hi), cat(s.gap_lo), cat(s.gap_hi)
        dv = cat(s.dyn_vars) if s.dyn_vars else np.zeros(0, np.int64)
        db = cat(s.dyn_bases) if s.dyn_bases else np.zeros(0, np.int64)
        con, var, coef = (cat(a) if a else np.zeros(0, np.int64) for a in (s.e_con, s.e_var, s.e_coef))
        order = np.argsort(con, kind="stable")
        con, var, coef = con[order], var[order], coef[order]
        kind = cat(s.kind) if s.kind else np.zeros(0, np.int64)
        self.con, self.var, self.coef, self.kind = con, var, coef, kind
        self.c_len = np.bincount(con, minlength=s.n_cons).astype(np.int64)
        self.c_start = np.cumsum(self.c_len) - self.c_len
        self.reason_lo = np.full(s.n_vars, -1, np.int64)
        self.reason_hi = np.full(s.n_vars, -1, np.int64)
        L, U = _snap(lo.copy(), hi.copy(), g_lo, g_hi, dv, db)
        # fold the known variables into a constant per relation: sum(coef x unknown) = rhs (<= rhs)
        known = (L == U)[var]
        rhs = -np.bincount(con, weights=np.where(known, coef * L[var], 0), minlength=s.n_cons).round().astype(np.int64)
        con, var, coef = con[~known].astype(np.int32), var[~known].astype(np.int32), coef[~known]
        c_len = np.bincount(con, minlength=s.n_cons).astype(np.int64)
        c_start = np.cumsum(c_len) - c_len
        left = (c_len == 0) & (self.c_len > 0)  # nothing unknown: the figures must satisfy it
        self.broken = np.flatnonzero(left & np.where(kind == EQ, rhs != 0, rhs < 0))
        by_var = np.argsort(var, kind="stable")
        v_len = np.bincount(var, minlength=s.n_vars).astype(np.int64)
        v_start = np.cumsum(v_len) - v_len
        con_of_var = con[by_var]  # the relations of each variable, variable by variable
        positive, is_eq = coef > 0, kind[con] == EQ
        active = np.flatnonzero(c_len > 0)
        rounds = 0
        while len(active) and rounds < max_rounds and not (L > U).any():
            rounds += 1
            lens = c_len[active]
            e = _ranges(c_start[active], lens)  # the entries of the active relations
            if DEBUG:
                print("round", rounds, len(active), len(e))
            seg = np.cumsum(lens) - lens
            ev, pos, ec = var[e], positive[e], con[e]
            lv, uv = L[ev], U[ev]
            t_min = np.where(pos, lv, -uv)
            t_max = np.where(pos, uv, -lv)
            # coef x var <= rhs - (the others' least), and (an equality) >= rhs - (their most)
            upper = rhs[ec] + t_min - np.repeat(np.add.reduceat(t_min, seg), lens)
            lower = np.where(is_eq[e], rhs[ec] + t_max - np.repeat(np.add.reduceat(t_max, seg), lens), -4 * BIG)
            cand_hi = np.where(pos, upper, -lower)
            cand_lo = np.where(pos, lower, -upper)
            new_hi, new_lo = U.copy(), L.copy()
            np.minimum.at(new_hi, ev, cand_hi)
            np.maximum.at(new_lo, ev, cand_lo)
            for new, old, cand, reason in ((new_hi, U, cand_hi, self.reason_hi), (new_lo, L, cand_lo, self.reason_lo)):
                hit = (new[ev] != old[ev]) & (cand == new[ev])
                reason[ev[hit]] = ec[hit]
            new_lo, new_hi = _snap(new_lo, new_hi, g_lo, g_hi, dv, db)
            moved = np.flatnonzero((new_lo != L) | (new_hi != U))
            L, U = new_lo, new_hi
            touched = np.zeros(s.n_cons, bool)
            touched[con_of_var[_ranges(v_start[moved], v_len[moved])]] = True
            active = np.flatnonzero(touched)
        self.L, self.U, self.rounds = L, U, rounds
        self.converged = len(active) == 0

    def infeasible(self, limit: int = 20) -> list[str]:
        """Where the figures contradict the relations: relations the known figures break, and
        variables left with no value (with the relations that emptied them)."""
        out = [f"broken: {self.describe(c)}" for c in self.broken[:limit]]
        out += [
            f"{self.s.labels[v]}: {self.L[v]} > {self.U[v]}; " + " | ".join(self.chain(v))
            for v in np.flatnonzero(self.L > self.U)[:limit]
        ]
        return out

    def pinned(self, rounded: bool = False) -> list[Pinned]:
        """The hidden counts left one value (or, with rounded, the rounded counts left one value:
        the exact count a rounded release was to hide)."""
        which = np.concatenate(self.s.rounded if rounded else self.s.hidden)
        return [
            Pinned(self.s.labels[v], int(self.L[v]), self, int(v)) for v in np.flatnonzero(which & (self.L == self.U))
        ]

    def members(self, c: int):
        start, end = self.c_start[c], self.c_start[c] + self.c_len[c]
        return self.var[start:end], self.coef[start:end]

    def cell(self, v: int) -> str:
        lo, hi = self.L[v], self.U[v]
        return f"{self.s.labels[v]} ({lo if lo == hi else f'{lo}..{hi if hi < BIG // 2 else chr(8734)}'})"

    def describe(self, c: int, most: int = 8) -> str:
        """A relation with its variables' bounds (at most `most` terms a side, the rest counted)."""
        variables, coefs = self.members(c)

        def side(terms) -> str:
            shown = " + ".join(self.cell(v) for v in terms[:most])
            return (shown + (f" + {len(terms) - most} more" if len(terms) > most else "")) or "0"

        left = side([v for v, a in zip(variables, coefs, strict=True) if a > 0])
        right = side([v for v, a in zip(variables, coefs, strict=True) if a < 0])
        return f"[{self.s.family[c]}] {left} {'=' if self.kind[c] == EQ else '<='} {right}"

    def chain(self, v: int, limit: int = 6) -> list[str]:
        """The relations that set this variable's bounds, then those that set their members'."""
        seen, out, queue = set(), [], [v]
        while queue and len(out) < limit:
            u = queue.pop(0)
            for c in (self.reason_lo[u], self.reason_hi[u]):
                if c < 0 or c in seen:
                    continue
                seen.add(c)
                out.append(self.describe(c))
                queue += [w for w in self.members(c)[0] if w != u]
        return out or ["(its own domain)"]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated index ranges start .. start + length - 1."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _snap(L, U, g_lo, g_hi, dyn_vars, dyn_bases):
    """Bounds moved off the values a variable's domain excludes."""
    L = np.where((g_lo <= L) & (L <= g_hi), g_hi + 1, L)
    U = np.where((g_lo <= U) & (U <= g_hi), g_lo - 1, U)
    if len(dyn_vars):
        top = L[dyn_bases] - MIN_COUNT  # excluded: MIN_COUNT .. L(base) - MIN_COUNT
        lo_, hi_ = L[dyn_vars], U[dyn_vars]
        L[dyn_vars] = np.where((MIN_COUNT <= lo_) & (lo_ <= top), top + 1, lo_)
        U[dyn_vars] = np.where((MIN_COUNT <= hi_) & (hi_ <= top), MIN_COUNT - 1, hi_)
    return L, U


# --------------------------------------------------------------------------------------------
# Reading a publication: the cells, and the domain each hidden one's value note allows
# --------------------------------------------------------------------------------------------


@dataclass
class Reading:
    exact: bool = False  # the warehouse's marts: every count known (to check the relations)
    rounding_base: int = 1  # > 1: a shown count is within +-floor(base/2) of the truth
    legacy: bool = False  # the rounding era: one note for every hidden cell, national rows exact


def read_publication(folder: Path, exports: bool = True) -> dict[str, list[pl.DataFrame]]:
    """The tables of the open and partner tiers of a run's output folder (the warehouse's folder by
    default): published/marts.duckdb and partner/partner_marts.duckdb, and (with exports) the
    CSV and XLSX exports of both. A table in both tiers is read from both (a partner holds both)."""
    tables: dict[str, list[pl.DataFrame]] = {}
    for path in (Path(folder) / "published" / "marts.duckdb", Path(folder) / "partner" / "partner_marts.duckdb"):
        if path.exists():
            con = duckdb.connect(str(path), read_only=True)
            try:
                for name, qualified in _table_names(con):
                    if name in SPECS:
                        tables.setdefault(name, []).append(con.sql(f"select * from {qualified}").pl())
                    else:
                        tables.setdefault(UNKNOWN, []).append(pl.DataFrame({"table": [name]}))
            finally:
                con.close()
    if exports:
        for name, frames in read_exports(folder, tables).items():
            tables.setdefault(name, []).extend(frames)
    return tables


HIDDEN_TEXT = {"", "*", "[c]", "[x]", "[z]"}
FINGERTIPS_COUNTS = {"Count": "numerator", "Denominator": "denominator", "Value": "value_pct"}
PRP_WORKBOOK = {"Outcome mean, unadjusted (%)": False, "Outcome mean, adjusted (%)": True}


def read_exports(folder: Path, tables: dict[str, list[pl.DataFrame]]) -> dict[str, list[pl.DataFrame]]:
    """The CSV and XLSX exports of the open and partner tiers as further copies of the tables they
    show (an export may show what its table hides): files in a table's own columns
    (`<table>.csv`), the Fingertips layout, the PRP tables and workbook. A shown rate keeps the
    half-unit of its decimals (`_half`); a hidden or empty cell is NULL."""
    out: dict[str, list[pl.DataFrame]] = {}
    seen = set()
    for root in (Path(folder) / "published" / "exports", Path(folder) / "partner" / "exports"):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.resolve() in seen or path.suffix not in (".csv", ".xlsx"):
                continue
            seen.add(path.resolve())
            frames = _export_frames(path, tables)
            for name, df in frames:
                out.setdefault(name, []).append(df.with_columns(_export=pl.lit(True)))
            if not frames:  # an export the attack cannot read: its figures are not attacked
                out.setdefault(UNKNOWN, []).append(pl.DataFrame({"table": [str(path.relative_to(folder))]}))
    return out


def _text_frame(path: Path) -> pl.DataFrame:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return pl.DataFrame(
        {h: [r[i] if i < len(r) else "" for r in rows[1:]] for i, h in enumerate(rows[0])},
        schema={h: pl.String for h in rows[0]},
    )


def _number(c: str) -> pl.Expr:
    text = pl.col(c).cast(pl.String).str.strip_chars().str.replace_all(",", "")
    return pl.when(text.is_in(list(HIDDEN_TEXT)) | text.is_null()).then(None).otherwise(text)


def _numbers(df: pl.DataFrame, counts: list[str], rate: str | None) -> pl.DataFrame:
    """Text cells as numbers: a hidden or empty cell NULL; a rate with the half-unit it is shown to."""
    df = df.with_columns(*(_number(c).cast(pl.Float64).round(0).cast(pl.Int64).alias(c) for c in counts))
    if rate:
        decimals = (
            _number(rate).str.split(".").list.get(1, null_on_oob=True).str.len_chars().fill_null(0).cast(pl.Float64)
        )
        df = df.with_columns(_half=0.5 * pl.lit(10.0).pow(-decimals), **{rate: _number(rate).cast(pl.Float64)})
    return df


def _variables() -> dict[str, str]:
    seeds = Path(__file__).resolve().parents[1] / "seeds" / "breakdown_variables.csv"
    table = pl.read_csv(seeds, infer_schema=False)
    return dict(zip(table["label"], table["variable"], strict=True))


def _export_frames(path: Path, tables) -> list[tuple[str, pl.DataFrame]]:
    if path.suffix == ".xlsx":
        return _workbook_frames(path)
    df = _text_frame(path)
    if path.stem in SPECS and set(SPECS[path.stem].keys) - {"flow_type"} <= set(df.columns):
        spec = SPECS[path.stem]
        df = _numbers(df, [c for c in spec.counts if c in df.columns], spec.rate if spec.rate in df.columns else None)
        df = df.with_columns(_number(k).alias(k) for k in spec.keys if k in df.columns)
        if "period_end" in df.columns:
            df = df.with_columns(pl.col("period_start").str.to_date(), pl.col("period_end").str.to_date())
        return [(path.stem, df)]
    if "Indicator ID" in df.columns and "phof_c20" in tables:  # the Fingertips layout
        c20 = tables["phof_c20"][0]
        periods = c20.select("period_type", "period_start", "period_end", "period_label").unique()
        kinds = c20.select("geography_code", "geography_type").unique()
        df = df.rename(
            {
                "Area Code": "geography_code",
                "Time period": "period_label",
                "Value note": "value_note",
                **FINGERTIPS_COUNTS,
            }
        )
        df = _numbers(df, ["numerator", "denominator"], "value_pct")
        return [("phof_c20", df.join(periods, on="period_label", how="left").join(kinds, on="geography_code"))]
    if "Outcome mean" in df.columns:  # a PRP table: <outcome>_<adjusted|unadjusted>.csv
        outcome, _, kind = path.stem.rpartition("_")
        df = df.rename(
            {"Number of observations": "n", "Outcome mean": "mean", "Category": "category", "Value note": "value_note"}
        )
        df = _numbers(df, ["n"], "mean").with_columns(
            outcome=pl.lit(outcome),
            adjusted=pl.lit(kind == "adjusted"),
            variable=pl.col("Variable").replace(_variables()),
        )
        return [("inequality_breakdowns", df)]
    return []


def _workbook_frames(path: Path) -> list[tuple[str, pl.DataFrame]]:
    """The PRP workbook: a sheet per outcome, a header row with Variable and Category; n and the
    unadjusted and adjusted means. A mean cell holds the proportion to full precision (shown as a
    percentage to one decimal): the reader takes the value the cell holds, to ten decimals."""
    import openpyxl

    frames = []
    for sheet in openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        head = next((i for i, r in enumerate(rows) if r and "Variable" in r and "Category" in r), None)
        if head is None:
            continue
        body = [dict(zip(rows[head], r, strict=False)) for r in rows[head + 1 :] if r and r[0] is not None]
        for column, adjusted in PRP_WORKBOOK.items():
            if not body or column not in body[0]:
                continue

            def text(v, full=False):
                return None if v is None else f"{v:.10f}" if full and isinstance(v, int | float) else str(v)

            df = pl.DataFrame(
                {
                    "outcome": [sheet.title] * len(body),
                    "adjusted": [adjusted] * len(body),
                    "variable": [_variables().get(r["Variable"], r["Variable"]) for r in body],
                    "category": [text(r["Category"]) for r in body],
                    "n": [text(r.get("Number of observations")) for r in body],
                    "mean": [text(r.get(column), full=True) for r in body],
                    "value_note": [text(r.get("Value note")) for r in body],
                },
                schema={
                    "outcome": pl.String,
                    "adjusted": pl.Boolean,
                    "variable": pl.String,
                    "category": pl.String,
                    "n": pl.String,
                    "mean": pl.String,
                    "value_note": pl.String,
                },
            )
            frames.append(("inequality_breakdowns", _numbers(df, ["n"], "mean")))
    return frames


def _table_names(con) -> list[tuple[str, str]]:
    """Each table of a database file with its qualified name (a tier's file is attached under its
    own name; its tables may be in any schema)."""
    rows = con.execute(
        "select table_catalog, table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() order by table_schema = 'main' desc, table_schema"
    ).fetchall()
    seen = {}
    for catalog, schema, name in rows:
        seen.setdefault(name, f'"{catalog}"."{schema}"."{name}"')
    return list(seen.items())


def read_marts(warehouse: Path) -> dict[str, list[pl.DataFrame]]:
    """The warehouse's own aggregate marts (exact counts)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        return {name: [con.sql(f"select * from marts.{name}").pl()] for name in SPECS if name in present}
    finally:
        con.close()


def _labels(df: pl.DataFrame, name: str, keys) -> list[str]:
    keys = [k for k in keys if df[k].null_count() < len(df)] or list(keys)
    text = [pl.col(k).cast(pl.String).fill_null("-") for k in keys]
    return (
        df.select(pl.concat_str([pl.lit(f"{name}["), pl.concat_str(text, separator=", "), pl.lit("]")]))
        .to_series()
        .to_list()
    )


class Builder:
    """The constraint system of one publication (or of the warehouse's marts, all exact)."""

    def __init__(self, tables: dict[str, list[pl.DataFrame]], reading: Reading):
        self.s = System()
        self.reading = reading
        self.t: dict[str, pl.DataFrame] = {}
        self.v: dict[str, dict[str, np.ndarray]] = {}
        self.latents: dict = {}  # (table, latent name) -> {column: {row: variable}}
        self.fixed: dict[str, dict[str, np.ndarray]] = {}  # table -> column -> row known exactly
        self.unknown = sorted({t for df in tables.get(UNKNOWN, []) for t in df["table"]})
        for name, frames in tables.items():
            if name not in SPECS:
                continue
            # a table held in two tiers (recording problems: England's rows open, every row for
            # partners) is modelled from its fullest copy; the other copy's rows are equated to it
            frames = sorted(frames, key=lambda f: ("_export" in f.columns, -len(f)))
            for i, df in enumerate(frames):
                self._cells(name if i == 0 else f"{name}#{i}", name, df)
        for key in [k for k in self.t if "#" in k]:  # one table in two tiers or an export: the same rows agree
            name = key.split("#")[0]
            self._join_equal(
                f"{name}: the same row in another tier or an export",
                key,
                name,
                list(SPECS[name].keys),
                {c: c for c in self.v[name]},
            )

    def _cells(self, key: str, name: str, df: pl.DataFrame):
        spec, reading, s = SPECS[name], self.reading, self.s
        for k in spec.keys:
            if k not in df.columns:
                df = df.with_columns(pl.lit("pair" if k == "flow_type" else None).alias(k))
        if "value_note" not in df.columns:
            df = df.with_columns(value_note=pl.lit(None, pl.String))
        df = df.with_row_index("_row")
        self.t[key] = df
        n = len(df)
        export = "_export" in df.columns  # a copy from an export: its cells are the table's
        rows = _labels(df, f"{name} (export)" if export else name, spec.keys)
        shown = {c: df[c].cast(pl.Int64) for c in counts_of(spec, df)}
        national = (
            df.select(LEGACY_NATIONAL.get(name, pl.lit(False)).fill_null(False).alias("x"))["x"].to_numpy()
            if reading.legacy
            else np.zeros(n, bool)
        )
        rate_bounds = {}
        pairs = ([(spec.rate, spec.value)] if spec.rate and spec.value else []) + list(spec.more_rates)
        for rate, count in pairs:
            if rate in df.columns and spec.base in shown and count in (*spec.counts, spec.value):
                rate_bounds[count] = self._rate_bounds(name, spec, df, rate, shown[spec.base], national)
                if count not in shown:
                    shown[count] = pl.Series([None] * n, dtype=pl.Int64)
        cols = list(shown) + ([REST] if spec.base and spec.value and spec.rest not in shown else [])
        doms = {}
        for col in cols:
            lo, hi = np.zeros(n, np.int64), np.full(n, BIG, np.int64)
            g_lo, g_hi = np.ones(n, np.int64), np.zeros(n, np.int64)
            hidden, rounded = np.zeros(n, bool), np.zeros(n, bool)
            if col in shown:
                mask = shown[col].is_not_null().to_numpy()
                value = shown[col].fill_null(0).to_numpy().astype(np.int64)
                # hidden: NULL as published (a count given away by its rate is still a hidden cell)
                if col in df.columns:
                    hidden = df[col].is_null().to_numpy()
                else:  # a count shown only through its rate: hidden when the rate is
                    rate_hidden = df[spec.rate].is_null().to_numpy() if spec.rate in df.columns else ~mask
                    hidden = ~mask & rate_hidden & df["value_note"].fill_null("").str.contains("uppressed").to_numpy()
                rounded = (
                    mask & ~national & (value > 0)
                    if reading.rounding_base > 1 and not reading.exact
                    else np.zeros(n, bool)
                )
                half = reading.rounding_base // 2
                lo = np.where(mask, np.where(rounded, np.maximum(value - half, 0), value), lo)
                hi = np.where(mask, np.where(rounded, value + half, value), hi)
                g_lo = np.where(rounded, 1, g_lo)  # a shown count is never small: small ones are hidden
                g_hi = np.where(rounded, MIN_COUNT - 1, g_hi)
            if col in rate_bounds:
                low, high = rate_bounds[col]
                lo, hi = np.maximum(lo, low), np.minimum(hi, high)
                if reading.rounding_base > 1 and not reading.exact:  # a rounded count, never small
                    derived = ~shown[col].is_not_null().to_numpy() & (high < BIG) & ~national
                    rounded = rounded | (derived & (high > 0))
                    g_lo, g_hi = np.where(derived, 1, g_lo), np.where(derived, MIN_COUNT - 1, g_hi)
            doms[col] = [lo, hi, g_lo, g_hi, hidden, rounded]
        dyn_rows = {}
        if not reading.exact and not reading.legacy:
            self._note_domains(spec, df, doms, dyn_rows)
        self.fixed[key] = {col: d[0] == d[1] for col, d in doms.items()}
        if REST in doms and REST not in shown:
            self.fixed[key][REST] = self.fixed[key][spec.base] & self.fixed[key][spec.value]
        ids = {}
        for col, (lo, hi, g_lo, g_hi, hidden, rounded) in doms.items():
            if export:  # reported through the table's own cell, which it equals
                hidden, rounded = np.zeros(n, bool), np.zeros(n, bool)
            ids[col] = s.add_vars(lo, hi, [f"{r}.{col}" for r in rows], g_lo, g_hi, hidden, rounded)
        for col, r in dyn_rows.items():
            s.small_beside(ids[col][r], ids[spec.base][r])
        if spec.base in ids and spec.value in ids:
            rest = spec.rest if spec.rest in ids else REST
            s.relation(
                f"{name}: {spec.base} = {spec.value} + {rest}",
                [(ids[spec.value], 1), (ids[rest], 1), (ids[spec.base], -1)],
            )
        self.v[key] = ids

    def _rate_bounds(self, name: str, spec: Spec, df: pl.DataFrame, rate: str, base: pl.Series, national):
        """The count a shown rate gives beside a shown base, to the rate's decimals (`_half` of an
        export; a database double is exact); in a rounded release rates come from the rounded
        counts, so the count is the rounded one, within the rounding."""
        n, reading = len(df), self.reading
        value, base = df[rate].cast(pl.Float64), base.cast(pl.Float64)
        half = df["_half"] if "_half" in df.columns and rate == spec.rate else pl.Series([1e-9 * spec.scale] * n)
        low = ((value - half) * base / spec.scale - 1e-9).ceil().fill_null(0).fill_nan(0).to_numpy()
        high = ((value + half) * base / spec.scale + 1e-9).floor().fill_null(BIG).fill_nan(BIG).to_numpy()
        if reading.rounding_base > 1:
            spread = np.where(national, 0, reading.rounding_base // 2)
            low, high = np.where(high < BIG, low - spread, low), np.where(high < BIG, high + spread, high)
        counted = np.ones(n, bool)
        if name == "inequality_breakdowns":  # a standardised rate is a count's rate only where it is the crude one
            counted = ~(df["adjusted"] & ~df["variable"].is_in(STANDARDISED_AS_CRUDE)).to_numpy()
        if spec.rate_when:  # (Kaplan-Meier: a plain share only uncensored; unknown when not published)
            if spec.rate_when in df.columns:
                counted &= (df[spec.rate_when].cast(pl.Int64) == 0).fill_null(False).to_numpy()
            else:
                counted[:] = False
        low, high = np.where(counted, low, 0), np.where(counted, high, BIG)
        return np.maximum(low, 0).astype(np.int64), np.minimum(high, BIG).astype(np.int64)

    def _note_domains(self, spec: Spec, df: pl.DataFrame, doms: dict, dyn_rows: dict):
        """The domain each hidden count's value note allows (TIERS.md: the row's own reason first,
        then '<column> suppressed: <why>' for each other hidden count of the row)."""
        notes = df["value_note"].fill_null("")
        first = notes.str.split("; ").list.first().fill_null("")
        reason = pl.select(pl.when(first.str.contains(r"^\w+ suppressed: ")).then(pl.lit("")).otherwise(first))
        reason = reason.to_series().to_numpy()
        row_small, row_protect = reason == ROW_SMALL, reason == ROW_PROTECT

        def own(col: str, why: str) -> np.ndarray:
            return notes.str.contains(f"(^|; ){col} {why}", literal=False).to_numpy()

        rest = spec.rest if spec.rest in doms else REST
        none = np.zeros(len(df), bool)
        base_hidden = doms[spec.base][4] if spec.base in doms else none
        first_count = spec.base or next((c for c in spec.counts if c in doms), None)
        pair = (spec.value, rest) if spec.value in doms else ()
        if pair:
            # a value count hidden (and base minus it, with it): by the row's reason when the base is
            # shown, or by a part of its own. Small: it or base minus it is 1-7 (either part may
            # say so: 1-7 or base-7..base-1); protecting another cell: both are 0 or 8 and over
            parts = [c for c in pair if c != REST]
            v_small = np.logical_or.reduce([own(c, SMALL) for c in parts])
            v_protect = np.logical_or.reduce([own(c, PROTECT) for c in parts])
            by_row = ~(v_small | v_protect) & ~base_hidden
            hidden_value = doms[spec.value][4]
            pair_small = hidden_value & (v_small | (by_row & row_small))
            pair_protect = hidden_value & (v_protect | (by_row & row_protect))
        for col, (lo, hi, g_lo, g_hi, hidden, _) in doms.items():
            if col in pair:
                lo[pair_small] = np.maximum(lo[pair_small], 1)
                if pair_small.any():
                    dyn_rows[col] = np.flatnonzero(pair_small)
                g_lo[pair_protect], g_hi[pair_protect] = 1, MIN_COUNT - 1
                continue
            small, protect = own(col, SMALL), own(col, PROTECT)
            if col == first_count:  # the row's reason is about its base
                has_own = small | protect
                small, protect = small | (~has_own & row_small), protect | (~has_own & row_protect)
            small, protect = small & hidden, protect & hidden
            if col in FUNNEL_STEPS.get(spec.base, ()):
                # a funnel step is a count of its row's base (transferred), as engaged is: its own
                # "small" means it or the base minus it is 1-7 (1-7 or base-7..base-1)
                beside = small & ~base_hidden
                lo[beside] = np.maximum(lo[beside], 1)
                if beside.any():
                    dyn_rows[col] = np.flatnonzero(beside)
                small = small & base_hidden
            lo[small], hi[small] = np.maximum(lo[small], 1), np.minimum(hi[small], MIN_COUNT - 1)
            g_lo[protect], g_hi[protect] = 1, MIN_COUNT - 1

    # -- joining rows ---------------------------------------------------------------------------

    def _join(self, a: str, a_filter, b: str, b_filter, on_a: list, on_b: list) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of the pairs of rows of tables a and b (filtered) that agree on the keys."""
        left = self.t[a].filter(a_filter).select(*[pl.col(x).alias(f"_k{i}") for i, x in enumerate(on_a)], "_row")
        right = (
            self.t[b]
            .filter(b_filter)
            .select(*[pl.col(x).alias(f"_k{i}") for i, x in enumerate(on_b)], pl.col("_row").alias("_other"))
        )
        j = left.join(right, on=[f"_k{i}" for i in range(len(on_a))], nulls_equal=True)
        return j["_row"].to_numpy(), j["_other"].to_numpy()

    def _join_equal(self, family, a, b, on, columns: dict, a_filter=None, b_filter=None, on_b=None):
        everything = pl.lit(True)
        ra, rb = self._join(
            a,
            everything if a_filter is None else a_filter,
            b,
            everything if b_filter is None else b_filter,
            on,
            on_b or on,
        )
        for ca, cb in columns.items():
            if ca in self.v[a] and cb in self.v[b]:
                self.s.equal(family, self.v[a][ca][ra], self.v[b][cb][rb])

    def _sum_to(
        self,
        family,
        members: str,
        m_filter,
        totals: str,
        t_filter,
        on_m,
        on_t,
        columns: dict,
        kind=EQ,
        latent: str | None = None,
    ):
        """Each total row (of table `totals`, filtered) = the sum of the member rows joining it,
        column by column (member column -> total column); `latent` adds a non-negative unknown
        (what the published members do not cover)."""
        total_rows = self.t[totals].filter(t_filter)["_row"].to_numpy()
        if not len(total_rows):
            return
        rm, rt = self._join(members, m_filter, totals, t_filter, on_m, on_t)
        group = np.searchsorted(total_rows, rt)
        for cm, ct in columns.items():
            if cm not in self.v[members] or ct not in self.v[totals]:
                continue
            tot = self.v[totals][ct][total_rows]
            mem, grp = self.v[members][cm][rm], group
            if latent:
                extra = self.s.latent([f"{latent} ({self.s.labels[t]})" for t in tot])
                mem, grp = np.r_[mem, extra], np.r_[grp, np.arange(len(tot))]
                self.latents.setdefault((totals, latent), {})[ct] = dict(
                    zip(total_rows.tolist(), extra.tolist(), strict=True)
                )
            self.s.sums(family, mem, grp, tot, kind)

    # -- relations ------------------------------------------------------------------------------

    def build(self) -> System:
        self.latents = {}
        self.quarter_ends = self._quarter_ends()
        if "phof_c20" in self.t:
            self._phof()
        if "phof_c20_funnel" in self.t and "phof_c20" in self.t:
            self._join_equal(
                "the funnel row = its phof_c20 row",
                "phof_c20_funnel",
                "phof_c20",
                list(SPECS["phof_c20"].keys),
                {"denominator": "denominator", "numerator": "numerator"},
            )
        tables = {
            "audit_attrition": self._audit,
            "continuity_flows": self._flows,
            "recording_issues_summary": self._recording,
            "er_outcomes_summary": self._er,
            "inequality_breakdowns": self._inequality,
            "c20_recording_adjusted": self._c20_adjusted,
            "time_to_treatment": self._time_to_treatment,
        }
        for table, relations in tables.items():  # each table's relations, when the reader holds it
            if table in self.t:
                relations()
        return self.s

    def _c20_adjusted(self):
        """C20 if the records were right: its counts are phof_c20's; adjusted = numerator + the
        releases a fix would engage (not engaged ones); areas add up (every provider's rows); in a
        local authority each provider's releases <= every provider's <= their sum (a release can
        have two providers' problems), and the problems by type of every provider = the sum."""
        key, s = "c20_recording_adjusted", self.s
        v = self.v[key]
        problems = [c for c in v if c.endswith("_problems")]
        row = ["period_type", "period_start", "geography_type", "geography_code"]
        if "phof_c20" in self.t:
            self._join_equal(
                f"{key}: C20's counts are phof_c20's",
                key,
                "phof_c20",
                row,
                {"denominator": "denominator", "numerator": "numerator", REST: REST},
            )
        s.relation(
            f"{key}: adjusted numerator = numerator + releases a fix would engage",
            [(v["adjusted_numerator"], 1), (v["numerator"], -1), (v["releases_fix_would_engage"], -1)],
        )
        s.at_most(f"{key}: releases a fix would engage <= not engaged", v["releases_fix_would_engage"], v[REST])
        every = pl.col("provider_role") == "all"
        gt, per = pl.col("geography_type"), ["period_type", "period_start"]
        columns = {c: c for c in ("releases_fix_would_engage", *problems)}
        self._sum_to(
            f"{key}: local authorities = their region",
            key,
            every & (gt == "local_authority"),
            key,
            every & (gt == "region"),
            [*per, "parent_region_code"],
            [*per, "geography_code"],
            columns,
        )
        self._sum_to(
            f"{key}: regions + areas outside the LA list = England",
            key,
            every & (gt == "region"),
            key,
            every & (gt == "england"),
            per,
            per,
            columns,
            latent=OUTSIDE,
        )
        # provider rows are local authorities' only: England's and regions' rows have none
        la = every & (gt == "local_authority")
        self._sum_to(
            f"{key}: the providers' problems = every provider's",
            key,
            ~every,
            key,
            la,
            row,
            row,
            {c: c for c in problems},
        )
        rm, ra = self._join(key, ~every, key, every, row, row)
        fix = v["releases_fix_would_engage"]
        s.at_most(f"{key}: a provider's releases <= every provider's", fix[rm], fix[ra])
        self._sum_to(
            f"{key}: every provider's releases <= the providers' sum",
            key,
            ~every,
            key,
            la,
            row,
            row,
            {"releases_fix_would_engage": "releases_fix_would_engage"},
            kind=GE,
        )

    def _time_to_treatment(self):
        """Time to treatment: releases = phof_c20's denominator + pending; releases + started on the
        day = at risk + censored + started; areas add up; started and censored never fall from one
        reporting day to the next (by at least those started on the later day); and at day 21 of a
        year with nothing pending in England (shown in phof_c20) started = C20's numerator."""
        key, s = "time_to_treatment", self.s
        v, df = self.v[key], self.t[key]
        for col in ("started_on_day", "censored"):  # counts the open tier leaves out: unknowns >= 0
            if col not in v:
                v[col] = s.latent([f"{key}[{i}].{col} (not published)" for i in range(df.height)])
        row = ["period_type", "period_start", "geography_type", "geography_code"]
        counts = ("releases_followed", "at_risk", "started", "started_on_day", "censored")
        s.relation(
            f"{key}: releases followed + started on the day = at risk + censored + started",
            [
                (v["releases_followed"], 1),
                (v["started_on_day"], 1),
                (v["at_risk"], -1),
                (v["censored"], -1),
                (v["started"], -1),
            ],
        )
        gt, per = pl.col("geography_type"), ["period_type", "period_start", "day"]
        cols = {c: c for c in counts if c in v}
        self._sum_to(
            f"{key}: local authorities = their region",
            key,
            gt == "local_authority",
            key,
            gt == "region",
            [*per, "parent_region_code"],
            [*per, "geography_code"],
            cols,
        )
        self._sum_to(
            f"{key}: regions + areas outside the LA list = England",
            key,
            gt == "region",
            key,
            gt == "england",
            per,
            per,
            cols,
            latent=OUTSIDE,
        )
        ordered = df.select(*row, "day", "_row").sort([*row, "day"])
        same = pl.all_horizontal([pl.col(c) == pl.col(c).shift(1) for c in row]).fill_null(False)
        pairs = ordered.with_columns(_before=pl.col("_row").shift(1), _same=same).filter(pl.col("_same"))
        later, before = pairs["_row"].to_numpy(), pairs["_before"].to_numpy().astype(np.int64)
        s.at_most(
            f"{key}: censored never falls from one reporting day to the next",
            v["censored"][before],
            v["censored"][later],
        )
        s.relation(
            f"{key}: started on a day + started by the day before <= started by the day",
            [(v["started_on_day"][later], 1), (v["started"][before], 1), (v["started"][later], -1)],
            LE,
        )
        if "phof_c20" in self.t:
            phof = self.t["phof_c20"]
            p = self.v["phof_c20"]
            s.relation(
                f"{key}: releases followed = phof_c20's denominator + pending",
                *[
                    [(v["releases_followed"][a], 1), (p["denominator"][b], -1), (p["pending"][b], -1)]
                    for a, b in [self._join(key, pl.lit(True), "phof_c20", pl.lit(True), row, row)]
                ],
            )
            closed = phof.filter(
                (pl.col("period_type") == "financial_year") & (gt == "england") & (pl.col("pending") == 0)
            )["period_start"]
            window = (pl.col("day") == ENGAGEMENT_WINDOW_DAYS) & pl.col("period_start").is_in(closed.implode())
            a, b = self._join(key, window, "phof_c20", pl.lit(True), row, row)
            s.equal(
                f"{key}: started by day 21 of a year with nothing pending = C20's numerator",
                v["started"][a],
                p["numerator"][b],
            )

    def _phof(self):
        gt, per = pl.col("geography_type"), ["period_type", "period_start"]
        cols = {c: c for c in SERIES["phof_c20"][0]}
        self._sum_to(
            "phof_c20: local authorities = their region",
            "phof_c20",
            gt == "local_authority",
            "phof_c20",
            gt == "region",
            [*per, "parent_region_code"],
            [*per, "geography_code"],
            cols,
        )
        self._sum_to(
            "phof_c20: regions + areas outside the LA list = England",
            "phof_c20",
            gt == "region",
            "phof_c20",
            gt == "england",
            per,
            per,
            cols,
            latent=OUTSIDE,
        )
        self._sum_to(
            "phof_c20: prisons = England", "phof_c20", gt == "prison", "phof_c20", gt == "england", per, per, cols
        )
        out = self.latents.get(("phof_c20", OUTSIDE), {})
        if {"denominator", "numerator", REST} <= set(out):
            rows = list(out["denominator"])
            self.s.relation(
                "outside the LA list: releases = engaged + not engaged",
                [
                    ([out["numerator"][r] for r in rows], 1),
                    ([out[REST][r] for r in rows], 1),
                    ([out["denominator"][r] for r in rows], -1),
                ],
            )
        self._quarters("phof_c20")

    def _quarter_ends(self) -> set[int]:
        """The quarters holding a release: each ends a rolling 12-month period (int_reporting_periods
        makes one exactly for the quarter ends holding a release), so any other quarter - before
        the earliest data (the partial-period note says where that is), between, after - has none."""
        ends = set()
        for key, df in self.t.items():
            if "period_end" in df.columns and "#" not in key:
                rolling = df.filter(pl.col("period_type") == "rolling_12m")
                ends |= set(rolling.select(_quarter(pl.col("period_end")))["period_end"].to_list())
        return ends

    def _quarters(self, key: str, absent_is_zero: bool = True):
        """Quarters inside financial years and rolling 12 months: a latent count q(k) >= 0 per series
        and quarter; every 12-month period ending in quarter k is q(k-3) + .. + q(k) (a quarter with
        no release is 0, a row absent from the table is 0); a financial year is the rolling 12
        months ending March; and consecutive rolling periods give R(k+1) - R(k) = q(k+1) - q(k-3),
        which propagation on the sums of latents alone would miss."""
        columns, series = SERIES[key]
        ks = sorted(self.quarter_ends)
        if not ks:
            return
        df = self.t[key].with_columns(_k=_quarter(pl.col("period_end")), _k0=_quarter(pl.col("period_start")))
        df = df.filter(pl.col("_k") - pl.col("_k0") == 3)
        ser = df.select(series).unique(maintain_order=True).with_row_index("_series")
        df = df.join(ser, on=list(series), nulls_equal=True)
        periods = sorted(set(zip(df["period_type"].to_list(), df["_k"].to_list(), strict=True)))
        if "rolling_12m" in set(df["period_type"].to_list()):
            # every rolling period of a table that has them (an absent one is a row of zeros); a
            # table of financial years only (the partner audit funnel) says nothing of the others
            periods += [("rolling_12m", k) for k in ks if ("rolling_12m", k) not in periods]
        p_index = {p: i for i, p in enumerate(periods)}
        k_index = {k: i for i, k in enumerate(ks)}
        names = _labels(ser, key, series)
        pi = np.array([p_index[p] for p in zip(df["period_type"].to_list(), df["_k"].to_list(), strict=True)])
        si, rows = df["_series"].to_numpy(), df["_row"].to_numpy()
        for col in columns:
            if col not in self.v[key]:
                continue
            keep = np.ones(len(ser), bool)
            if not self.reading.exact:
                # a series shown exactly in every period tells nothing about any other cell (its
                # quarters are linked to nothing else): left out (the marts' check keeps them all)
                keep[:] = False
                keep[si[~self.fixed[key][col][rows]]] = True
            if not keep.any():
                continue
            remap = np.cumsum(keep) - 1
            on = keep[si]
            q = self.s.latent(
                [
                    f"quarter {k // 4}Q{k % 4 + 1} of {nm}.{col}"
                    for nm, o in zip(names, keep, strict=True)
                    if o
                    for k in ks
                ]
            )
            q = q.reshape(int(keep.sum()), len(ks))
            grid = np.full((len(q), len(periods)), self.s.zero if absent_is_zero else -1, np.int64)
            grid[remap[si[on]], pi[on]] = self.v[key][col][rows[on]]
            for (ptype, k), j in p_index.items():
                inside = [q[:, k_index[x]] for x in range(k - 3, k + 1) if x in k_index]
                has = grid[:, j] >= 0
                if not (ptype == "financial_year" and ("rolling_12m", k) in p_index):
                    # (a financial year with its rolling twin is that twin, below)
                    self.s.relation(
                        f"{key}: a 12-month period = its four quarters",
                        [(grid[has, j], -1)] + [(a[has], 1) for a in inside],
                    )
                if ptype == "financial_year" and ("rolling_12m", k) in p_index:
                    r = grid[:, p_index[("rolling_12m", k)]]
                    has = (grid[:, j] >= 0) & (r >= 0)
                    self.s.equal(f"{key}: a financial year = the rolling 12 months ending March", grid[has, j], r[has])
                if ptype == "rolling_12m" and ("rolling_12m", k + 1) in p_index:
                    nxt = grid[:, p_index[("rolling_12m", k + 1)]]
                    has = (grid[:, j] >= 0) & (nxt >= 0)
                    terms = [(nxt[has], 1), (grid[has, j], -1), (q[has, k_index[k + 1]], -1)]
                    if k - 3 in k_index:
                        terms.append((q[has, k_index[k - 3]], 1))
                    self.s.relation(f"{key}: R(k+1) - R(k) = q(k+1) - q(k-3)", terms)

    def _audit(self):
        s, a = self.s, self.v["audit_attrition"]
        s.at_most("audit: engaged <= appointment offered", a["engaged"], a["appointment_offered"])
        s.at_most("audit: appointment offered <= referral received", a["appointment_offered"], a["referral_received"])
        s.at_most("audit: referral received <= transferred", a["referral_received"], a["transferred"])
        s.at_most(
            "audit: referral recording gap <= appointment offered",
            a["referral_recording_gap"],
            a["appointment_offered"],
        )
        s.at_most("audit: appointment recording gap <= engaged", a["appointment_recording_gap"], a["engaged"])
        cols = {c: c for c in SPECS["audit_attrition"].counts}
        st, gt = pl.col("split_type"), pl.col("geography_type")
        row = ["period_type", "period_start", "geography_type", "geography_code"]
        for split in sorted(set(self.t["audit_attrition"]["split_type"].to_list()) - {"all"}):
            self._sum_to(
                f"audit: the {split} split = its row",
                "audit_attrition",
                st == split,
                "audit_attrition",
                st == "all",
                row,
                row,
                cols,
            )
        per = ["period_type", "period_start", "split_type", "split_value"]
        self._sum_to(
            "audit: prisons = England",
            "audit_attrition",
            gt == "prison",
            "audit_attrition",
            gt == "england",
            per,
            per,
            cols,
        )
        self._sum_to(
            "audit: local authorities + areas outside the LA list = England",
            "audit_attrition",
            gt == "local_authority",
            "audit_attrition",
            gt == "england",
            per,
            per,
            cols,
            latent=OUTSIDE,
        )
        if "phof_c20" in self.t:
            self._join_equal(
                "audit: the all row = its phof_c20 row",
                "audit_attrition",
                "phof_c20",
                row,
                {"transferred": "denominator", "engaged": "numerator", "not_engaged": REST},
                a_filter=st == "all",
            )
        self._quarters("audit_attrition")

    def _flows(self):
        df, ft = self.t["continuity_flows"], pl.col("flow_type")
        cols = {c: TO_PHOF[c] for c in SERIES["continuity_flows"][0]}
        per = ["period_type", "period_start"]
        has_other = df.filter(ft.fill_null("pair") != "pair").height > 0
        if "phof_c20" in self.t:
            gt = pl.col("geography_type")
            prison_side = ft.fill_null("pair").is_in(["pair", "other_areas"])
            area_side = ft.fill_null("pair").is_in(["pair", "other_prisons"])
            self._sum_to(
                "flows: a prison's rows = its phof_c20 row",
                "continuity_flows",
                prison_side,
                "phof_c20",
                gt == "prison",
                [*per, "estab_code"],
                [*per, "geography_code"],
                cols,
            )
            self._sum_to(
                "flows: an area's rows = its phof_c20 row",
                "continuity_flows",
                area_side,
                "phof_c20",
                gt == "local_authority",
                [*per, "exit_la_code"],
                [*per, "geography_code"],
                cols,
            )
            self._sum_to(
                "flows: all rows = England",
                "continuity_flows",
                prison_side,
                "phof_c20",
                gt == "england",
                per,
                per,
                cols,
            )
            if has_other:
                self._sum_to(
                    "flows: all rows (areas' side) = England",
                    "continuity_flows",
                    area_side,
                    "phof_c20",
                    gt == "england",
                    per,
                    per,
                    cols,
                )
            else:
                self._flows_outside(cols)
        if not has_other:
            self._quarters("continuity_flows")

    def _flows_outside(self, cols):
        """The pairs to areas outside the LA list = England's releases outside the list."""
        las = self.t["phof_c20"].filter(pl.col("geography_type") == "local_authority")["geography_code"].unique()
        out = self.latents.get(("phof_c20", OUTSIDE), {})
        per = ["period_type", "period_start"]
        england = pl.col("geography_type") == "england"
        total_rows = self.t["phof_c20"].filter(england)["_row"].to_numpy()
        rm, rt = self._join(
            "continuity_flows", ~pl.col("exit_la_code").is_in(las.implode()), "phof_c20", england, per, per
        )
        for cf, cp in cols.items():
            if cf in self.v["continuity_flows"] and cp in out:
                self.s.sums(
                    "flows: pairs to areas outside the LA list = England's releases there",
                    self.v["continuity_flows"][cf][rm],
                    np.searchsorted(total_rows, rt),
                    np.array([out[cp][r] for r in total_rows.tolist()], np.int64),
                )

    def _recording(self):
        s, r, role = self.s, self.v["recording_issues_summary"], pl.col("provider_role")
        s.at_most("recording: releases affected <= issues", r["releases_affected"], r["issues"])
        s.at_most(
            "recording: releases that would engage <= releases affected",
            r["releases_would_engage"],
            r["releases_affected"],
        )
        per = ["financial_year", "issue_type"]
        self._sum_to(
            "recording: the providers' issues = England's",
            "recording_issues_summary",
            role != "england",
            "recording_issues_summary",
            role == "england",
            per,
            per,
            {"issues": "issues"},
        )
        # a release can be counted under two providers: each provider's releases are at most
        # England's, and England's at most the providers' sum
        rm, re_ = self._join(
            "recording_issues_summary", role != "england", "recording_issues_summary", role == "england", per, per
        )
        for col in ("releases_affected", "releases_would_engage"):
            s.at_most(f"recording: a provider's {col} <= England's", r[col][rm], r[col][re_])
            self._sum_to(
                f"recording: England's {col} <= the providers' sum",
                "recording_issues_summary",
                role != "england",
                "recording_issues_summary",
                role == "england",
                per,
                per,
                {col: col},
                kind=GE,
            )
        if "ambiguous_candidates" in r:
            self._sum_to(
                "recording: the providers' ambiguous candidates = England's",
                "recording_issues_summary",
                role != "england",
                "recording_issues_summary",
                role == "england",
                per,
                per,
                {"ambiguous_candidates": "ambiguous_candidates"},
            )

    def _er(self):
        s, e, df, pg = self.s, self.v["er_outcomes_summary"], self.t["er_outcomes_summary"], pl.col("priority_group")
        counts = ("n", "achieved", REST, "pending", "not_known", "not_applicable")
        self._sum_to(
            "ER: the priority groups = the site",
            "er_outcomes_summary",
            pg != "all",
            "er_outcomes_summary",
            pg == "all",
            ["site", "outcome"],
            ["site", "outcome"],
            {c: c for c in counts},
        )
        # one cohort per site and group: n + pending + not known + not applicable, for every outcome
        cohorts = df.select("site", "priority_group").unique(maintain_order=True).with_row_index("_c")
        c = s.latent([f"ER cohort [{a}, {b}]" for a, b in cohorts.select("site", "priority_group").iter_rows()])
        j = df.select("site", "priority_group", "_row").join(cohorts, on=["site", "priority_group"])
        rows, which = j["_row"].to_numpy(), j["_c"].to_numpy()
        s.relation(
            "ER: n + pending + not known + not applicable = the site and group's cohort",
            [(e[k][rows], 1) for k in ("n", "pending", "not_known", "not_applicable")] + [(c[which], -1)],
        )
        site_all = cohorts.filter(pg == "all")
        groups = cohorts.filter(pg != "all").join(site_all.select("site", pl.col("_c").alias("_all")), on="site")
        s.sums(
            "ER: the groups' cohorts = the site's",
            c[groups["_c"].to_numpy()],
            np.searchsorted(site_all["_c"].to_numpy(), groups["_all"].to_numpy()),
            c[site_all["_c"].to_numpy()],
        )
        # the site volumes repeat on every row of a site: one number each
        first = df.group_by("site", maintain_order=True).agg(pl.col("_row").first().alias("_first"))
        js = df.select("site", "_row").join(first, on="site")
        for col in ("site_referrals", "site_accepted", "site_released"):
            s.equal(f"ER: {col} is one number per site", e[col][js["_row"].to_numpy()], e[col][js["_first"].to_numpy()])
        f = first["_first"].to_numpy()
        s.at_most("ER: released <= accepted", e["site_released"][f], e["site_accepted"][f])
        whole = site_all.join(first, on="site")
        s.at_most(
            "ER: the site's cohort <= its accepted",
            c[whole["_c"].to_numpy()],
            e["site_accepted"][whole["_first"].to_numpy()],
        )

    def _inequality(self):
        v, adj, var = self.v["inequality_breakdowns"], pl.col("adjusted"), pl.col("variable")
        keys = ["outcome", "variable", "category"]
        self._join_equal(
            "PRP: the adjusted row's n = the unadjusted row's",
            "inequality_breakdowns",
            "inequality_breakdowns",
            keys,
            {"n": "n"},
            adj,
            ~adj,
        )
        self._join_equal(
            "PRP: age-sex standardised = crude for the total, age band and sex",
            "inequality_breakdowns",
            "inequality_breakdowns",
            keys,
            {"x": "x", REST: REST},
            adj & var.is_in(STANDARDISED_AS_CRUDE),
            ~adj,
        )
        cols = {"n": "n", "x": "x", REST: REST}
        unadjusted = self.t["inequality_breakdowns"].filter(~adj)
        for variable in sorted(set(unadjusted["variable"].to_list()) - {"total"}):
            self._sum_to(
                f"PRP: the {variable} categories = the total",
                "inequality_breakdowns",
                ~adj & (var == variable),
                "inequality_breakdowns",
                ~adj & (var == "total"),
                ["outcome"],
                ["outcome"],
                cols,
            )
        if "phof_c20" in self.t:
            self._prp_to_phof()
        if "er_outcomes_summary" in self.t:
            sites = (pl.col("priority_group") == "all") & (pl.col("outcome") == "successful_outcome")
            total = ~adj & (var == "total") & (pl.col("outcome") == "er_successful_outcome")
            er, prp = self.t["er_outcomes_summary"], self.t["inequality_breakdowns"]
            site_rows, total_rows = er.filter(sites)["_row"].to_numpy(), prp.filter(total)["_row"].to_numpy()
            if len(total_rows) == 1 and len(site_rows):
                for cp, ce in (("n", "n"), ("x", "achieved"), (REST, REST)):
                    self.s.sums(
                        "PRP: the ER successful-outcome total = the sites' successful outcomes",
                        self.v["er_outcomes_summary"][ce][site_rows],
                        np.zeros(len(site_rows), np.int64),
                        v[cp][total_rows],
                    )

    def _prp_to_phof(self):
        """The C20 breakdown: its total = England's financial years summed; a region's = the region's;
        'Unknown' region = the releases outside the LA list, summed."""
        v, p = self.v["inequality_breakdowns"], self.v["phof_c20"]
        prp, phof = self.t["inequality_breakdowns"], self.t["phof_c20"]
        c20 = ~pl.col("adjusted") & (pl.col("outcome") == "engaged_within_21_days")
        fy = pl.col("period_type") == "financial_year"
        cols = {"n": "denominator", "x": "numerator", REST: REST}
        total = prp.filter(c20 & (pl.col("variable") == "total"))["_row"].to_numpy()
        england = phof.filter(fy & (pl.col("geography_type") == "england"))["_row"].to_numpy()
        if len(total) == 1:
            for cv, cp in cols.items():
                self.s.sums(
                    "PRP: the C20 total = England's financial years",
                    p[cp][england],
                    np.zeros(len(england), np.int64),
                    v[cv][total],
                )
        rp, rv = self._join(
            "phof_c20",
            fy & (pl.col("geography_type") == "region"),
            "inequality_breakdowns",
            c20 & (pl.col("variable") == "region"),
            ["geography_name"],
            ["category"],
        )
        if len(rv):
            cats, group = np.unique(rv, return_inverse=True)
            for cv, cp in cols.items():
                self.s.sums("PRP: a region's C20 breakdown = its financial years", p[cp][rp], group, v[cv][cats])
        unknown = prp.filter(c20 & (pl.col("variable") == "region") & (pl.col("category") == "Unknown"))["_row"]
        out = self.latents.get(("phof_c20", OUTSIDE), {})
        if len(unknown) == 1 and out:
            for cv, cp in cols.items():
                ids = np.array([out[cp][r] for r in england.tolist()], np.int64)
                self.s.sums(
                    "PRP: region Unknown = the releases outside the LA list, summed",
                    ids,
                    np.zeros(len(ids), np.int64),
                    v[cv][unknown.to_numpy()],
                )


def _quarter(date: pl.Expr) -> pl.Expr:
    return date.dt.year() * 4 + (date.dt.month() - 1) // 3


# --------------------------------------------------------------------------------------------
# The rate and interval of a row beside hidden counts: the counts they allow
# --------------------------------------------------------------------------------------------


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval as a proportion (indicators.md s.1)."""
    centre, spread = 2 * x + z * z, z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return (centre - spread) / (2 * (n + z * z)), (centre + spread) / (2 * (n + z * z))


def counts_behind(rate: float, lower: float | None, n_range: range, scale: float = 100.0) -> list[tuple[int, int]]:
    """Every (n, x) with n in n_range whose rate (and lower 95% limit) is the shown one, to 9 digits."""
    found = []
    for n in n_range:
        if n <= 0:
            continue
        x = round(rate * n / scale)
        if (
            0 <= x <= n
            and abs(scale * x / n - rate) < 1e-9 * scale
            and (lower is None or abs(scale * wilson(x, n)[0] - lower) < 1e-9 * scale)
        ):
            found.append((n, x))
    return found


# --------------------------------------------------------------------------------------------
# The attack and the check of the relations
# --------------------------------------------------------------------------------------------


def build(tables: dict[str, list[pl.DataFrame]], reading: Reading) -> Builder:
    b = Builder(tables, reading)
    b.build()
    if reading.legacy:
        _recompute_legacy_twins(b)
    return b


def _recompute_legacy_twins(b: Builder):
    """The rounding era showed an adjusted row's exact rate and interval beside the unadjusted
    row's rounded n; for the total, age band and sex that rate is the crude one on the exact n, so
    the counts it allows pin them (a relation of its own: 'rate and interval recomputed')."""
    if "inequality_breakdowns" not in b.t:
        return
    df = b.t["inequality_breakdowns"].filter(
        pl.col("adjusted")
        & pl.col("variable").is_in(STANDARDISED_AS_CRUDE)
        & pl.col("mean").is_not_null()
        & pl.col("n").is_not_null()
    )
    v = b.v["inequality_breakdowns"]
    for row, n_shown, mean, lower in df.select("_row", "n", "mean", "lower_ci95").iter_rows():
        found = counts_behind(
            mean, lower, range(n_shown - b.reading.rounding_base // 2, n_shown + b.reading.rounding_base // 2 + 1), 1.0
        )
        if len(found) == 1:
            n, x = found[0]
            for col, value in (("n", n), ("x", x)):
                k = b.s.add_vars(
                    [value],
                    [value],
                    [f"{b.s.labels[v[col][row]]} recomputed from the shown exact rate {mean:.6f} and interval"],
                )
                b.s.equal("PRP: an adjusted twin's exact rate and interval recomputed", [v[col][row]], k)


@dataclass
class Attack:
    pinned: list[Pinned]  # hidden counts left one value (not counting the parts of a published zero)
    rounded_pinned: list[Pinned]  # in a rounded release: rounded counts left their exact value
    hidden: int  # hidden counts attacked
    relations: dict[str, int]  # relations modelled, by family
    unknown_tables: list[str]  # published tables the attack does not model (each needs its relations)
    solution: Solution


def run_attack(folder: Path, rounding_base: int = 1, legacy: bool = False) -> Attack:
    """The attack on the open and partner tiers of a publication (a run's output folder)."""
    b = build(read_publication(folder), Reading(rounding_base=rounding_base, legacy=legacy))
    solution = b.s.solve()
    problems = solution.infeasible()
    assert not problems, "the published figures contradict a modelled relation:\n" + "\n".join(problems)
    pinned = solution.pinned()
    if any(p.value == 0 for p in pinned):  # a part of a published zero is no disclosure
        told = b.s.zeros_alone().solve().U
        pinned = [p for p in pinned if not (p.value == 0 and told[p.variable] == 0)]
    families: dict[str, int] = {}
    for f in b.s.family:
        families[f] = families.get(f, 0) + 1
    hidden = int(np.concatenate(b.s.hidden).sum())
    return Attack(pinned, solution.pinned(rounded=True), hidden, families, b.unknown, solution)


def attack(folder: Path, rounding_base: int = 1, legacy: bool = False) -> list[Pinned]:
    """Every hidden count of the open and partner tiers of a publication (a run's output folder)
    that the published figures, solved together, pin to one value - with the relations that did."""
    return run_attack(folder, rounding_base, legacy).pinned


def check_relations(tables: dict[str, list[pl.DataFrame]]) -> list[str]:
    """The relations the attack models, checked on exact tables (every count known; the latents
    follow): the relations the figures break, and the variables left with no value."""
    return build(tables, Reading(exact=True)).s.solve().infeasible()


def relations_violated(warehouse: Path) -> list[str]:
    """The relations the attack models, checked on the warehouse's own exact marts."""
    return check_relations(read_marts(warehouse))


def true_cells(warehouse: Path) -> dict[str, int]:
    """Each count cell of the marts by the name the attack gives it (table[key].column): the truth
    a pinned cell is compared with."""
    b = Builder(read_marts(warehouse), Reading(exact=True))
    lo, hi = np.concatenate(b.s.lo), np.concatenate(b.s.hi)
    return {
        b.s.labels[v]: int(lo[v]) for columns in b.v.values() for ids in columns.values() for v in ids if lo[v] == hi[v]
    }


# --------------------------------------------------------------------------------------------
# A publication with primary suppression only: what the attack must find leaks in
# --------------------------------------------------------------------------------------------

# what a primary-only publication hides with its row's value (table: base, value, rest, the figures
# hidden with the value count, the other counts)
PRIMARY_ONLY = {
    "phof_c20": (
        "denominator",
        "numerator",
        None,
        [
            "value_pct",
            "lower_ci95_pct",
            "upper_ci95_pct",
            "lower_ci998_pct",
            "upper_ci998_pct",
            "compared_with_england_95",
            "compared_with_england_998",
            "compared_with_region_95",
            "compared_with_region_998",
            "trend_chi_square",
        ],
        ["pending"],
    ),
    "phof_c20_funnel": ("denominator", "numerator", None, ["value_pct", "position_95", "position_998"], []),
    "audit_attrition": (
        "transferred",
        "engaged",
        "not_engaged",
        ["engaged_pct"],
        ["referral_received", "appointment_offered", "referral_recording_gap", "appointment_recording_gap"],
    ),
    "continuity_flows": ("releases", "engaged", None, ["value_pct"], ["pending"]),
    "er_outcomes_summary": (
        "n",
        "achieved",
        None,
        ["value_pct", "lower_ci95_pct", "upper_ci95_pct"],
        ["pending", "not_known", "not_applicable", "site_referrals", "site_accepted", "site_released"],
    ),
    "recording_issues_summary": ("issues", None, None, [], ["releases_affected", "releases_would_engage"]),
    "inequality_breakdowns": ("n", "round(mean * n)", None, ["mean", "lower_ci95", "upper_ci95", "sd"], []),
}
TIERS = {
    ("published", "marts.duckdb"): {
        "phof_c20": "true",
        "phof_c20_funnel": "true",
        "inequality_breakdowns": "true",
        "recording_issues_summary": "provider_role = 'england'",
    },
    ("partner", "partner_marts.duckdb"): {
        "continuity_flows": "true",
        "audit_attrition": "true",
        "recording_issues_summary": "true",
        "er_outcomes_summary": "true",
    },
}


def write_primary_only(warehouse: Path, folder: Path) -> None:
    """The marts as the open and partner tiers (TIERS.md layout, value notes of indicators.md s.4)
    with primary suppression only: a base of 1-7 hides its row; a value count (or base minus it) of
    1-7 hides it and its rate; another count of 1-7 hides itself."""

    def small(c: str) -> str:
        return f"(({c}) between 1 and 7)"

    for (tier, file), tables in TIERS.items():
        (folder / tier).mkdir(parents=True)
        con = duckdb.connect(str(folder / tier / file))
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        for name, where in tables.items():
            base, value, rest, with_value, others = PRIMARY_ONLY[name]
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_catalog = 'wh' "
                    "and table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            row = small(base)
            value_small = f"({small(value)} or {small(f'{base} - ({value})')})" if value else "false"
            select = []
            for c in columns:
                hidden = {base: row, value: f"{row} or {value_small}", rest: f"{row} or {value_small}"}.get(c)
                hidden = hidden or (f"{row} or {value_small}" if c in with_value else None)
                hidden = hidden or (f"{row} or {small(c)}" if c in others else None)
                select.append(f"case when {hidden} then null else {c} end as {c}" if hidden else c)
            parts = (
                ", ".join(
                    f"case when {small(c)} and not {row} then '{c} suppressed: small numbers' end" for c in others
                )
                or "null"
            )
            note = f"concat_ws('; ', case when {row} or {value_small} then 'Suppressed: small numbers' end, {parts})"
            con.execute(
                f"create table {name} as select {', '.join(select)}, nullif({note}, '') as value_note "
                f"from wh.marts.{name} where {where}"
            )
        con.close()
