"""Reports people read (`continuity report`):

- from the open tier (anyone): a slide pack, 16:9 (PPTX, and the same slides as one
  self-contained HTML file); local-area profiles, one per local authority with releases (HTML
  each, one PDF for all); an easy-read summary (HTML and PDF) after the Department of
  Health's guidance;
- from the partner tier, when its folder is given: a partner slide pack (prison-to-area
  flows, where people are lost, recording problems by provider, Enhanced RECONNECT by site)
  into the partner tier's own reports folder.

Every figure is a cell of the publication's tables, read through `tiers` (the one module
that knows where the tables are): a NULL count is hidden and its value note says why; rates,
intervals, comparisons, trend labels, period labels and funnel positions are columns, never
recomputed. This package holds one module per part: the figures are gathered in `data`, the
labels, terms, publisher and provenance are in `labels`, the slides in `slides`, the profiles
in `profiles`, the easy-read in `easy_read`; every file is written by `render` from the
templates in `templates/` and the charts of `charts`. This module builds them all.

The publishing organisation's details (name, the publication's title, a contact email and
phone) are parameters of `build_reports`, with the defaults in `labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.disclosure import Rules, rules_from_project
from pipelines.reports import charts
from pipelines.reports.data import gather, gather_partner
from pipelines.reports.labels import (
    BREAKDOWN_LABELS,
    CONTACT_EMAIL,
    CONTACT_PHONE,
    OUTCOME_LABELS,
    PUBLICATION_TITLE,
    PUBLISHER,
    SOURCES,
    SYNTHETIC_NOTE,
    TERMS,
    Provenance,
    Publisher,
    is_provisional,
    issue_labels,
    read_provenance,
    window_days,
)
from pipelines.reports.tiers import Tier, open_tier, partner_tier

__all__ = [
    "BREAKDOWN_LABELS", "CONTACT_EMAIL", "CONTACT_PHONE", "OUTCOME_LABELS", "PUBLICATION_TITLE", "PUBLISHER",
    "SOURCES", "SYNTHETIC_NOTE", "TERMS", "Provenance", "Publisher", "Tier", "charts", "gather", "gather_partner",
    "is_provisional", "issue_labels", "open_tier", "partner_tier", "read_provenance", "window_days",
]  # fmt: skip


@dataclass
class Slide:
    title: str
    text: str
    chart: bytes | None = None  # PNG
    numbers: list[str] = field(default_factory=list)  # every number shown, for checking
    alt: str = ""  # what the chart shows, for people who cannot see it
    notes: str = ""  # speaker notes: the numbers behind the slide


def build_slides(data: dict) -> list[Slide]:
    """The open slide pack's slides, in order; each builder returns nothing when its table is empty."""
    from pipelines.reports import slides as s

    slides = [s.title_slide(data), s.terms_slide()]
    if data["latest"] is None:
        slides.append(
            Slide(
                "No national figure to show yet",
                "The publication shows no financial year for England: no release's 21-day window has closed, "
                "or too few have for the figure to be shown (numbers below 8 are hidden).",
            )
        )
        return slides
    for builder in (s.national, s.waits, s.funnel, s.problems, s.inequality):
        slide = builder(data)
        if slide is not None:
            slides.append(slide)
    return slides


def build_partner_slides(data: dict) -> list[Slide]:
    """The partner slide pack's slides, in order; a slide whose table the tier lacks is left out."""
    from pipelines.reports import slides as s

    slides = [s.partner_title_slide(data)]
    if data["latest"] is None:
        return slides
    for builder in (s.flows, s.attrition, s.provider_problems, s.er):
        slide = builder(data)
        if slide is not None:
            slides.append(slide)
    return slides


REPORT_FILES = {
    "slides": "continuity_slides.pptx",
    "slides_html": "continuity_slides.html",
    "easy_read": "easy_read.html",
    "easy_read_pdf": "easy_read.pdf",
    "profiles_pdf": "local_area_profiles.pdf",
    "profiles_index": "local_area_profiles.html",
}
PARTNER_FILES = {"slides": "partner_slides.pptx", "slides_html": "partner_slides.html"}
PROFILE_FOLDER = "profiles"
OWNER_MARK = ".continuity-reports"  # a folder holding this was made by build_reports


class ForeignFolderError(RuntimeError):
    """The output folder holds files the pipeline did not write."""


def claim_folder(out: Path) -> None:
    """Use `out` only if it is new, empty, or one this function made before: reports never
    delete or overwrite what they did not write."""
    if out.exists() and not (out / OWNER_MARK).exists() and any(out.iterdir()):
        raise ForeignFolderError(
            f"{out} already holds files the pipeline did not write; choose a new or empty folder for the reports"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / OWNER_MARK).write_text("Reports written by `continuity report`; rewritten on each call.\n")


def build_reports(
    published: Path,
    out: Path,
    rules: Rules | None = None,
    partner: Path | None = None,
    partner_out: Path | None = None,
    *,
    publisher: str = PUBLISHER,
    publication_title: str = PUBLICATION_TITLE,
    contact_email: str = CONTACT_EMAIL,
    contact_phone: str = CONTACT_PHONE,
) -> dict[str, Path]:
    """Write the slide pack, the local-area profiles and the easy-read summary of an open
    publication (`published`, the open tier's folder) into `out`; with `partner` (the partner
    tier's folder), the partner slide pack into `partner_out` (default: its `reports`
    folder). Each file is written beside its final name and renamed over it. The
    organisation's details go on every footer, cover and document property."""
    from pipelines.reports import easy_read, profiles, render

    rules = rules or rules_from_project()
    partner_out = partner_out or (partner / "reports" if partner is not None else None)
    claim_folder(out)  # refuse a foreign folder before reading anything
    if partner_out is not None:
        claim_folder(partner_out)
    charts.setup()
    org = Publisher(publisher, publication_title, contact_email, contact_phone)
    provenance = read_provenance(published, org)
    with open_tier(published) as tier:
        data = gather(tier, rules)
        areas = profiles.gather_profiles(tier, rules)
    building = {key: out / f".{name}.building" for key, name in REPORT_FILES.items()}
    slides = build_slides(data)
    title = f"{org.title}: slide pack"
    render.write_pptx(slides, building["slides"], provenance, title)
    render.write_html_slides(slides, building["slides_html"], provenance, title)
    pages = easy_read.easy_read_pages(data, provenance)
    render.write_easy_read(pages, building["easy_read"], building["easy_read_pdf"], provenance)
    profiles.write_profiles(areas, out / PROFILE_FOLDER, building, provenance)
    for key, name in REPORT_FILES.items():
        building[key].replace(out / name)
    written = {key: out / name for key, name in REPORT_FILES.items()} | {"profiles": out / PROFILE_FOLDER}
    if partner is not None:
        written |= _partner_reports(partner, partner_out, rules, data, provenance)
    return written


def _partner_reports(partner: Path, out: Path, rules: Rules, data: dict, provenance: Provenance) -> dict[str, Path]:
    """The partner slide pack (PPTX and HTML) from the partner tier, into `out`."""
    from pipelines.reports import render

    with partner_tier(partner) as tier:
        figures = gather_partner(tier, rules, data["latest"], data.get("latest_label", ""))
    slides = build_partner_slides(figures)
    title = f"{provenance.publisher.title}: partner slide pack"
    building = {key: out / f".{name}.building" for key, name in PARTNER_FILES.items()}
    render.write_pptx(slides, building["slides"], provenance, title, partner=True)
    render.write_html_slides(slides, building["slides_html"], provenance, title, partner=True)
    for key, name in PARTNER_FILES.items():
        building[key].replace(out / name)
    return {f"partner_{key}": out / name for key, name in PARTNER_FILES.items()}
