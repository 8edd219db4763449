"""Reports people read, built from the open publication alone (`continuity report`):

- a slide pack, 16:9 (PPTX, and the same slides as one self-contained HTML file);
- local-area profiles, one per local authority with releases (HTML each, one PDF for all);
- an easy-read summary (HTML and PDF) after the Department of Health's guidance.

Every figure comes from the open tier's disclosure-controlled tables (models/publication/):
hidden counts are NULL there, rates are computed from rounded counts, and comparisons, trend
labels, period labels and funnel positions are columns. Nothing here re-applies a rule. This
package holds one module per part: the figures are gathered here, the slides in `slides`, the
profiles in `profiles`, the easy-read in `easy_read`; every file is written by `render` from the
templates in `templates/` and the charts of `charts`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.disclosure import Rules, project_vars, rules_from_project
from pipelines.reports import charts

SYNTHETIC_NOTE = "Synthetic data - not real statistics"
SOURCE = "Source: open publication of the continuity pipeline (NDTMS and nDelius extracts)"
TERMS = {
    "PHOF C20": "Public Health Outcomes Framework indicator C20 (formerly 2.16): continuity of care after prison.",
    "NDTMS": "National Drug Treatment Monitoring System: the record of drug and alcohol treatment.",
    "Enhanced RECONNECT (ER)": "NHS England's service that supports people with health needs as they leave prison.",
    "TAIM": "Team Around the Individual Model: the worker and services who plan support together.",
    "Confidence interval": "The range the true rate is likely to lie in (95% or 99.8% of the time).",
    "Funnel plot": "Each area's rate against its size; areas outside the limits differ from England beyond chance.",
}
ISSUE_LABELS = {  # display names of the issue types of marts.recording_issues_summary
    "attributor_mismatch": "Attributors do not match",
    "missing_exit_data": "Prison exit not recorded",
    "no_structured_intervention": "No structured intervention recorded",
    "unclosed_community_episode": "Old community episode left open",
    "exit_date_after_triage": "Exit date after community triage",
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
class Provenance:
    """What a publication was made from (its notes.json), for every footer."""

    produced: str
    extract_date: str
    synthetic: bool
    published_at: str = ""

    def footer(self) -> str:
        return f"{SOURCE}. Data extracted to {self.extract_date}. Produced {self.produced}."


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def read_provenance(published: Path) -> Provenance:
    """notes.json of the open folder; a folder without one says so rather than guessing."""
    path = published / "notes.json"
    notes = json.loads(path.read_text()) if path.exists() else {}
    stamp = notes.get("published_at", "")
    produced = datetime.strptime(stamp[:8], "%Y%m%d").date() if stamp else datetime.now(UTC).date()
    dates = [date.fromisoformat(d) for d in notes.get("latest_extract_dates", {}).values()]
    extract = _long_date(max(dates)) if dates else "an unrecorded date"
    return Provenance(_long_date(produced), extract, bool(notes.get("synthetic")), stamp)


@dataclass
class Slide:
    title: str
    text: str
    chart: bytes | None = None  # PNG
    numbers: list[str] = field(default_factory=list)  # every number shown, for checking
    alt: str = ""  # what the chart shows, for people who cannot see it
    notes: str = ""  # speaker notes: the numbers behind the slide


def _q(con, sql: str, *params) -> pl.DataFrame:
    return con.sql(sql, params=list(params)).pl() if params else con.sql(sql).pl()


def gather(con, rules: Rules) -> dict:
    """The figures the reports show, read from the open tables as published."""
    national = _q(
        con,
        "select period_start, period_end, period_label, numerator, denominator, pending, value_pct, lower_ci95_pct, "
        "upper_ci95_pct, value_note, recent_trend from marts.phof_c20 where geography_type = 'england' "
        "and period_type = 'financial_year' and denominator > 0 order by period_start",
    )
    latest = national["period_start"].max() if national.height else None
    names = _q(con, "select distinct geography_code, geography_name from marts.phof_c20")
    data = {"national": national, "latest": latest, "rules": rules, "names": dict(names.iter_rows())}
    if latest is None:
        return data
    data["latest_label"] = national.row(-1, named=True)["period_label"]
    data |= _sub_national(con, latest)
    return data


def _sub_national(con, latest) -> dict:
    """Latest-year funnel, flows and attrition, and all-period problems, breakdowns and ER."""
    return {
        "las": _q(
            con,
            "select * from marts.phof_c20_funnel where geography_type = 'local_authority' "
            "and period_type = 'financial_year' and period_start = ? and value_pct is not null",
            latest,
        ),
        "flows": _q(
            con,
            "select estab_code, exit_la_code, releases, value_pct from marts.continuity_flows "
            "where period_type = 'financial_year' and period_start = ? and value_pct is not null "
            "and flow_type = 'pair' order by releases desc, estab_code, exit_la_code limit 10",
            latest,
        ),
        "funnel": _q(
            con,
            "select * from marts.audit_attrition where geography_type = 'england' "
            "and period_type = 'financial_year' and period_start = ?",
            latest,
        ),
        "problems": _q(
            con,
            "select issue_type, sum(issues) as n, sum(releases_would_engage) as would_engage "
            "from marts.recording_issues_summary where provider_role = 'england' group by issue_type order by n desc",
        ),
        "inequality": _q(
            con,
            "select variable, category, n, mean, lower_ci95, upper_ci95 from marts.inequality_breakdowns "
            "where outcome = 'engaged_within_21_days' and not adjusted and mean is not null "
            "and variable in ('total', 'age_band', 'sex', 'ethnic_group', 'imd_quintile') order by variable, category",
        ),
        "er": _q(
            con,
            "select site, delivery_model, outcome, n, value_pct, lower_ci95_pct, upper_ci95_pct "
            "from marts.er_outcomes_summary where priority_group = 'all' and value_pct is not null "
            "order by site, outcome",
        ),
    }


def window_days() -> int:
    """The engagement window, as dbt declares it (dbt_project.yml)."""
    return int(project_vars()["engagement_window_days"])


def is_provisional(note: str | None, rules: Rules) -> bool:
    """A period the publication marks provisional (its value note says so)."""
    notes = (rules.value_notes.get(k) for k in ("provisional", "all_pending", "partial_period"))
    return any(n and n in (note or "") for n in notes)


def build_slides(data: dict) -> list[Slide]:
    """The slide pack's slides, in order; each builder returns nothing when its table is empty."""
    from pipelines.reports import slides as s

    slides = [s.title_slide(data), s.terms_slide()]
    if data["latest"] is None:
        slides.append(Slide("No judged releases yet", "The publication holds no release whose window has closed."))
        return slides
    for builder in (s.national, s.funnel, s.flows, s.attrition, s.problems, s.inequality, s.er):
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


def build_reports(published: Path, out: Path, rules: Rules | None = None) -> dict[str, Path]:
    """Write the slide pack, the local-area profiles and the easy-read summary of an open
    publication into `out`: each file written beside its final name and renamed over it."""
    from pipelines.reports import easy_read, profiles, render

    rules = rules or rules_from_project()
    claim_folder(out)  # refuse a foreign folder before reading anything
    charts.setup()
    provenance = read_provenance(published)
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        data = gather(con, rules)
        areas = profiles.gather_profiles(con, rules)
    finally:
        con.close()
    building = {key: out / f".{name}.building" for key, name in REPORT_FILES.items()}
    slides = build_slides(data)
    render.write_pptx(slides, building["slides"], provenance)
    render.write_html_slides(slides, building["slides_html"], provenance)
    pages = easy_read.easy_read_pages(data, provenance)
    render.write_easy_read(pages, building["easy_read"], building["easy_read_pdf"], provenance)
    profiles.write_profiles(areas, out / PROFILE_FOLDER, building, provenance)
    for key, name in REPORT_FILES.items():
        building[key].replace(out / name)
    return {key: out / name for key, name in REPORT_FILES.items()} | {"profiles": out / PROFILE_FOLDER}
