"""The disclosure-control policy as Python code reads it (indicators.md s.4; docs/disclosure.md).

The policy is declared once, as dbt vars in dbt_project.yml (disclosure_min_count,
disclosure_rounding_base, value_notes), and applied once, by the dbt models under
models/publication/ (macros/disclosure.sql). Python never re-applies it: the exports and
reports read the controlled tables of the open publication and use this module only to
say what the rules are (notes sheets, footers) and to recognise a suppressed value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from pipelines.project import project_vars

SUPPRESSED = "*"  # how a hidden count or value is shown in files and reports


@dataclass(frozen=True)
class Rules:
    min_count: int = 8
    rounding_base: int = 5
    value_notes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def note(self, key: str) -> str:
        return self.value_notes[key]


@cache
def rules_from_project() -> Rules:
    v = project_vars()
    return Rules(
        min_count=int(v["disclosure_min_count"]),
        rounding_base=int(v["disclosure_rounding_base"]),
        value_notes=dict(v["value_notes"]),
    )
