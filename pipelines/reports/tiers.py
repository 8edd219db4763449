"""Where the reports read their tables: one small module, so the publication's folders can
move without the reports changing (docs/reports.md).

A tier is a folder of the publication with a DuckDB file of its tables, each queried as
`marts.<table>`, read-only:

- the open tier (anyone): `<output>/published/marts.duckdb`;
- the partner tier (named partners under a data-sharing agreement):
  `<output>/partner/partner_marts.duckdb`; a folder with only `marts.duckdb` is read as
  well (a publication made before the tiers were split holds the partner tables there).

Each tier names the tables a report may read from it, and a query naming any other table is
refused before it runs: the open reports can never show a partner table by mistake. A
report treats a NULL count as hidden and shows its value note; it never recomputes a figure
the table gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

OPEN_TABLES = frozenset(
    {
        "phof_c20",
        "phof_c20_funnel",
        "inequality_breakdowns",
        "recording_issues_summary",  # England rows only in the open tier
        "time_to_treatment",
        "c20_recording_adjusted",
    }
)
PARTNER_TABLES = frozenset(
    {
        "continuity_flows",
        "audit_attrition",
        "recording_issues_summary",  # every row: providers too
        "er_outcomes_summary",
        "c20_recording_adjusted",
    }
)
FILES = {"open": ("marts.duckdb",), "partner": ("partner_marts.duckdb", "marts.duckdb")}
TABLES = {"open": OPEN_TABLES, "partner": PARTNER_TABLES}
_NAMED = re.compile(r"\bmarts\.(\w+)", re.IGNORECASE)


class TierError(RuntimeError):
    """A tier's folder has no tables, or a query names a table the tier does not publish."""


@dataclass
class Tier:
    """The tables of one tier of a publication, read-only, for as long as it is open."""

    name: str  # "open" or "partner"
    folder: Path

    def __post_init__(self):
        self._con = None

    @property
    def path(self) -> Path:
        for file in FILES[self.name]:
            if (self.folder / file).exists():
                return self.folder / file
        raise TierError(f"{self.folder} holds no {' or '.join(FILES[self.name])}: not a {self.name} tier folder")

    def __enter__(self) -> Tier:
        # attached as `marts` whatever the file is called: every table is marts.<table>
        self._con = duckdb.connect()
        quoted = str(self.path).replace("'", "''")
        self._con.execute(f"attach '{quoted}' as marts (read_only)")
        return self

    def __exit__(self, *exc) -> None:
        self._con.close()
        self._con = None

    def has(self, table: str) -> bool:
        """Whether the tier publishes `table` and this folder holds it."""
        if table not in TABLES[self.name]:
            return False
        found = self._con.execute(
            "select count(*) from duckdb_tables() where database_name = 'marts' and table_name = ?", [table]
        ).fetchall()
        return found[0][0] > 0

    def query(self, sql: str, *params) -> pl.DataFrame:
        """The result of `sql` as a data frame; every table it names must be the tier's."""
        named = {t.lower() for t in _NAMED.findall(sql)}
        foreign = sorted(named - TABLES[self.name])
        if foreign:
            raise TierError(f"the {self.name} tier does not publish {', '.join(foreign)}; a report may not read it")
        return self._con.sql(sql, params=list(params)).pl() if params else self._con.sql(sql).pl()


def open_tier(folder: Path) -> Tier:
    return Tier("open", Path(folder))


def partner_tier(folder: Path) -> Tier:
    return Tier("partner", Path(folder))


def _parts(note: str | None) -> list[str]:
    return [p.strip() for p in (note or "").split(";") if p.strip()]


def is_hidden(value, note: str | None, column: str | None = None) -> bool:
    """Whether a NULL cell is hidden by disclosure control, from its row's value note: the
    row's own reason ("Suppressed: ...": every figure the row hides), or a part naming the
    column ("pending suppressed: ..."). A value that is there is never hidden."""
    if value is not None:
        return False
    parts = _parts(note)
    return any(p.startswith("Suppressed") for p in parts) or (
        column is not None and any(p.lower().startswith(f"{column.lower()} suppressed") for p in parts)
    )


HIDDEN_MARK = "[c]"  # a hidden value (Analysis Function symbol: confidential)
MISSING_MARK = "[x]"  # no value for another reason (not available); the value note says why
