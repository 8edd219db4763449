"""What the reports call things, who publishes them and where a publication came from:
labels, terms, the publishing organisation, provenance (notes.json) and the provisional test.
Labels that are reference data are read from their seed, the one place each is written (the
recording problems' labels: seeds/recording_issue_types.csv)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from pipelines.contract import SEEDS_DIR
from pipelines.disclosure import Rules
from pipelines.project import window_days

__all__ = ["window_days"]  # the one window helper (pipelines/project.py), as the reports use it

SYNTHETIC_NOTE = "Synthetic data - not real statistics"
# the publishing organisation's settings: defaults of build_reports' parameters
PUBLISHER = "Continuity of Care Data Team"
PUBLICATION_TITLE = "Continuity of care for people leaving prison in England"
CONTACT_EMAIL = "continuity.data@example.org"
CONTACT_PHONE = ""
SOURCES = "NDTMS and nDelius extracts"
TERMS = {
    "PHOF C20": "Public Health Outcomes Framework indicator C20 (formerly 2.16): continuity of care after prison.",
    "NDTMS": "National Drug Treatment Monitoring System: the record of drug and alcohol treatment.",
    "Enhanced RECONNECT (ER)": "NHS England's service that supports people with health needs as they leave prison.",
    "TAIM": "Team Around the Individual Model: the worker and services who plan support together.",
    "Confidence interval": "The range the true rate is likely to lie in (95% or 99.8% of the time).",
    "Funnel plot": "Each area's rate against its size; areas outside the limits differ from England beyond chance.",
}
OUTCOME_LABELS = {  # display names of the outcomes of marts.er_outcomes_summary
    "successful_outcome": "Successful outcome",
    "first_healthcare_appointment": "First healthcare appointment",
    "engaged_at_12_months": "Engaged at 12 months",
    "treatment_within_3_weeks": "Treatment within 3 weeks",
    "taim": "Plan made by the TAIM",
}
BREAKDOWN_LABELS = {"age_band": "Age", "sex": "Sex", "ethnic_group": "Ethnic group", "imd_quintile": "Deprivation"}


@dataclass(frozen=True)
class Publisher:
    """The publishing organisation, as the publication names it (settings of build_reports)."""

    name: str = PUBLISHER
    title: str = PUBLICATION_TITLE
    email: str = CONTACT_EMAIL
    phone: str = CONTACT_PHONE


@dataclass(frozen=True)
class Provenance:
    """What a publication was made from (its notes.json) and who published it, for every
    footer, citation and document property."""

    produced: str  # the publication's date, written out ("6 December 2026")
    extract_date: str
    synthetic: bool
    published_at: str = ""  # notes.json's stamp
    publisher: Publisher = field(default_factory=Publisher)
    when: datetime | None = None  # the publication's time (UTC), for document properties

    def footer(self) -> str:
        return (
            f"Source: {self.publisher.title}, {self.publisher.name}, published {self.produced} "
            f"({SOURCES}). Data extracted to {self.extract_date}."
        )

    def citation(self) -> str:
        """How to cite the publication: who, what, when."""
        return f"{self.publisher.name}. {self.publisher.title}. Published {self.produced}."


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def read_provenance(published: Path, publisher: Publisher | None = None) -> Provenance:
    """notes.json of the open folder; a folder without one says so rather than guessing."""
    path = published / "notes.json"
    notes = json.loads(path.read_text()) if path.exists() else {}
    stamp = notes.get("published_at", "")
    when = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC) if stamp else datetime.now(UTC)
    dates = [date.fromisoformat(d) for d in notes.get("latest_extract_dates", {}).values()]
    extract = _long_date(max(dates)) if dates else "an unrecorded date"
    return Provenance(_long_date(when.date()), extract, bool(notes.get("synthetic")), stamp, publisher or Publisher(),
                      when)  # fmt: skip


@cache
def issue_labels() -> dict[str, str]:
    """The display name of every issue type of marts.recording_issues(_summary), from its seed."""
    with open(SEEDS_DIR / "recording_issue_types.csv", newline="", encoding="utf-8") as f:
        return {row["issue_type"]: row["label"] for row in csv.DictReader(f)}


def is_provisional(note: str | None, rules: Rules) -> bool:
    """A period the publication marks provisional (its value note says so)."""
    notes = (rules.value_notes.get(k) for k in ("provisional", "all_pending", "partial_period"))
    return any(n and n in (note or "") for n in notes)
