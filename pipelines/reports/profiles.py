"""Local-area profiles: one per local authority with releases, what a local partnership needs
for the self-assessment of source 001 (data management and attrition domains): its C20 trend
against England and its region with the published comparison and trend labels, its main
referring prisons, its place on the funnel plot. Every figure is a cell of the open tables."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.disclosure import SUPPRESSED, Rules, rules_from_project
from pipelines.reports import Provenance, charts, is_provisional

TOP_PRISONS = 5


@dataclass
class Profile:
    code: str
    name: str
    region: str
    years: list[dict]  # phof_c20 rows of the area, financial years in order
    prisons: list[dict]  # its largest published inflows, latest year
    point: dict | None  # its funnel point, latest year (None when its rate is not shown)
    charts: dict[str, charts.Drawing] = field(default_factory=dict)

    @property
    def latest(self) -> dict:
        return self.years[-1]


def _q(con, sql: str, *params) -> pl.DataFrame:
    return con.sql(sql, params=list(params)).pl() if params else con.sql(sql).pl()


def gather_profiles(con, rules: Rules) -> dict:
    """Every local authority with releases, and the England, region and funnel rows it is
    compared with, all from the open publication."""
    c20 = _q(
        con,
        "select * from marts.phof_c20 where period_type = 'financial_year' "
        "and geography_type in ('england', 'region', 'local_authority') order by period_start",
    )
    with_releases = (
        c20.filter(
            (pl.col("geography_type") == "local_authority")
            & ~pl.col("value_note").fill_null("").str.contains(rules.note("no_releases"), literal=True)
        )["geography_code"]
        .unique()
        .sort()
        .to_list()
    )
    latest = c20["period_start"].max()
    funnel = _q(
        con,
        "select * from marts.phof_c20_funnel where geography_type = 'local_authority' "
        "and period_type = 'financial_year' and period_start = ? and value_pct is not null",
        latest,
    )
    flows = _q(
        con,
        "select f.estab_code, coalesce(p.geography_name, f.estab_code) as prison, f.exit_la_code, f.releases, "
        "f.value_pct, f.value_note from marts.continuity_flows f left join (select distinct geography_code, "
        "geography_name from marts.phof_c20 where geography_type = 'prison') p on p.geography_code = f.estab_code "
        "where f.period_type = 'financial_year' and f.period_start = ? and f.releases is not null "
        "and f.flow_type = 'pair' "
        "order by f.releases desc, prison",
        latest,
    )
    return {"codes": with_releases, "funnel": funnel, "rules": rules} | _by_area(c20, funnel, flows)


def _by_area(c20: pl.DataFrame, funnel: pl.DataFrame, flows: pl.DataFrame) -> dict:
    """Rows keyed by area, read once: each area's years, its funnel point, its prisons."""
    by_area: dict[str, list[dict]] = {}
    for row in c20.sort("geography_code", "period_start", maintain_order=True).iter_rows(named=True):
        by_area.setdefault(row["geography_code"], []).append(row)
    prisons: dict[str, list[dict]] = {}
    for row in flows.iter_rows(named=True):
        prisons.setdefault(row["exit_la_code"], []).append(row)
    return {
        "by_area": by_area,
        "england": c20.filter(pl.col("geography_type") == "england").sort("period_start").to_dicts(),
        "points": {row["geography_code"]: row for row in funnel.iter_rows(named=True)},
        "prisons": prisons,
    }


def build_profile(gathered: dict, code: str, canvases: Canvases) -> Profile:
    """One area's profile: its rows, its region's and England's, its prisons and funnel point,
    and its charts as marks on the canvases every profile shares."""
    years = gathered["by_area"][code]
    region_code = years[-1]["parent_region_code"]
    region_rows = gathered["by_area"].get(region_code, []) if region_code else []
    point = gathered["points"].get(code)
    profile = Profile(
        code,
        years[-1]["geography_name"],
        region_rows[-1]["geography_name"] if region_rows else "",
        years,
        gathered["prisons"].get(code, [])[:TOP_PRISONS],
        point,
    )
    profile.charts["trend"] = canvases.trend.draw(_trend_series(profile, region_rows, gathered["england"]))
    if profile.point is not None and canvases.funnel is not None:
        profile.charts["funnel"] = canvases.funnel.ringed(profile.name)
    return profile


@dataclass
class Canvases:
    """The charts every profile shares, each drawn once: the trend's axis and the funnel plot."""

    trend: charts.TrendCanvas
    funnel: charts.FunnelCanvas | None

    @classmethod
    def of(cls, gathered: dict) -> Canvases:
        england, funnel = gathered["england"], gathered["funnel"]
        provisional = {r["period_label"] for r in england if is_provisional(r["value_note"], gathered["rules"])}
        trend = charts.TrendCanvas([r["period_label"] for r in england], provisional, size=(9, 4.2))
        if not funnel.height:
            return cls(trend, None)
        return cls(trend, charts.FunnelCanvas(funnel.to_dicts(), funnel["england_value_pct"][0], size=(9, 4.4)))


def _trend_series(profile: Profile, region: list[dict], england: list[dict]) -> list[charts.Series]:
    """The area against its region and England; its points coloured by the published
    comparison with England (better, similar, worse; grey when not compared)."""
    periods = [r["period_label"] for r in england]

    def series(rows: list[dict], name: str, colour: str, markers: bool = False) -> charts.Series:
        keyed = {r["period_label"]: r for r in rows}
        pick = lambda col: [keyed.get(p, {}).get(col) for p in periods]  # noqa: E731
        colours = [charts.colour_of(c) for c in pick("compared_with_england_95")] if markers else None
        return charts.Series(name, pick("value_pct"), pick("lower_ci95_pct"), pick("upper_ci95_pct"), colour, colours)

    lines = [series(profile.years, profile.name, charts.COLOURS["main"], markers=True)]
    if region:
        lines.append(series(region, profile.region, charts.COLOURS["grey"]))
    lines.append(series(england, "England", charts.COLOURS["black"]))
    return lines


def shown(value, decimals: int = 1, note: str | None = None) -> str:
    """A published value as text: the number, or `*` when hidden, or '-' (with its note)."""
    if value is not None:
        return f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,}"
    return SUPPRESSED if note and rules_from_project().note("suppressed") in note else "-"


def percent(value, decimals: int = 1, note: str | None = None) -> str:
    """A published rate with its % sign, or the hidden or missing mark alone (`*`, not `*%`)."""
    text = shown(value, decimals, note)
    return f"{text}%" if value is not None else text


def write_profiles(gathered: dict, folder: Path, building: dict[str, Path], provenance: Provenance) -> list[Profile]:
    """An HTML page per area (swapped in as one folder), an index page and one PDF of all."""
    from pipelines.reports import render

    canvases = Canvases.of(gathered)
    profiles = [build_profile(gathered, code, canvases) for code in gathered["codes"]]
    if canvases.funnel is not None:
        canvases.funnel.dispose()
    staging = folder.parent / f".{folder.name}.building"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for profile in profiles:
        render.render("profile.html.j2", staging / f"{profile.code}.html", p=profile, provenance=provenance,
                      shown=shown, headline=headline, funnel_sentence=funnel_sentence, recording_note=RECORDING_NOTE,
                      title=f"{profile.name}: continuity of care profile")  # fmt: skip
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    render.render("profiles_index.html.j2", building["profiles_index"], profiles=profiles, provenance=provenance,
                  folder=folder.name, shown=shown, title="Local-area profiles: continuity of care")  # fmt: skip
    write_profiles_pdf(profiles, building["profiles_pdf"], provenance)
    return profiles


def headline(p: Profile) -> str:
    """The latest year in one sentence, with the publication's own comparison and trend labels."""
    r = p.latest
    if r["value_pct"] is None:
        return f"{r['period_label']}: no rate shown ({r['value_note'] or 'not published'})."
    return (
        f"{r['period_label']}: {r['value_pct']:.1f}% (95% interval {r['lower_ci95_pct']:.1f}% to "
        f"{r['upper_ci95_pct']:.1f}%) of {shown(r['denominator'])} releases judged. Compared with England: "
        f"{r['compared_with_england_95'] or 'not compared'}; with {p.region or 'the region'}: "
        f"{r['compared_with_region_95'] or 'not compared'}. Recent trend: {r['recent_trend'] or 'not calculated'}."
    )


def funnel_sentence(p: Profile) -> str:
    """The area's published funnel positions (position_95, position_998) in words."""
    if p.point is None:
        return "Not on the funnel plot: the rate for the latest year is not published."
    return (
        f"On the funnel plot for {p.point['period_label']}: {p.point['position_95']} the 95% limits and "
        f"{p.point['position_998']} the 99.8% limits."
    )


def _pdf_lines(p: Profile) -> list[str]:
    """The profile's tables as lines of text for its PDF page."""
    years = [
        f"{r['period_label']}: {percent(r['value_pct'], note=r['value_note'])}  "
        f"(England: {r['compared_with_england_95'] or '-'}; region: {r['compared_with_region_95'] or '-'})"
        + (f"  [{r['value_note']}]" if r["value_note"] else "")
        for r in p.years
    ]
    prisons = [f"{x['prison']}: {shown(x['releases'])} released, {percent(x['value_pct'], 0, x['value_note'])} started"
               for x in p.prisons] or ["No prison's flow to this area is large enough to publish."]  # fmt: skip
    return ["By year (95% comparisons)", *years, "", "Main referring prisons (latest year)", *prisons, "",
            RECORDING_NOTE]  # fmt: skip


RECORDING_NOTE = (
    "Recording problems: the open publication counts them by provider, not by area; "
    "ask your providers for their rows of recording_issues_summary."
)


A4 = (8.27 * 72, 11.69 * 72)  # points
TREND_BOX = (0.04, 0.49, 0.92, 0.32)  # left, bottom, width, height, in fractions of the page
FUNNEL_BOX = (0.5, 0.22, 0.48, 0.26)


def write_profiles_pdf(profiles: list[Profile], path: Path, provenance: Provenance) -> None:
    """One A4 page per area, the same content as its HTML page: the charts' backdrops stored
    once, each area's marks drawn over them."""
    from pipelines.reports import pdf, render

    document = pdf.Document(
        path, render.pdf_metadata("Local-area profiles: continuity of care after prison", provenance)
    )
    for number, p in enumerate(profiles, start=1):
        page = document.page(*A4)
        _pdf_page(document, page, p)
        render.pdf_page_footer(page, provenance, f"Page {number} of {len(profiles)}")
    document.close()


def _pdf_page(document, page, p: Profile) -> None:
    """An area's page: name, headline, trend, tables as text, funnel and its sentence."""
    import textwrap

    w, h = page.width, page.height
    # below the synthetic-data warning that render.pdf_page_footer puts along the top
    page.text(0.06 * w, 0.925 * h, p.name, 22, colour=charts.COLOURS["main"], bold=True)
    page.text(0.06 * w, 0.9 * h, f"{p.region} | area code {p.code}", 12, colour="#425563")
    page.lines(0.06 * w, 0.885 * h, textwrap.wrap(headline(p), 88), 12)
    _pdf_chart(document, page, p.charts["trend"], TREND_BOX)
    lines = [part for line in _pdf_lines(p) for part in (textwrap.wrap(line, 44) or [""])]
    page.lines(0.06 * w, 0.48 * h, lines, 11, spacing=1.3)
    if "funnel" in p.charts:
        _pdf_chart(document, page, p.charts["funnel"], FUNNEL_BOX)
    page.lines(0.53 * w, 0.21 * h, textwrap.wrap(funnel_sentence(p), 48), 11)


def _pdf_chart(document, page, drawing: charts.Drawing, box: tuple[float, float, float, float]) -> None:
    """A chart fitted into box (fractions of the page), centred, its aspect kept."""
    backdrop = drawing.backdrop
    name = document.picture(f"C{id(backdrop)}", backdrop.rgb, backdrop.pixels)
    left, bottom, width, height = (v * s for v, s in zip(box, (page.width, page.height) * 2, strict=True))
    scale = min(width / backdrop.size[0], height / backdrop.size[1])
    left += (width - backdrop.size[0] * scale) / 2
    bottom += (height - backdrop.size[1] * scale) / 2
    page.picture(name, (left, bottom, backdrop.size[0] * scale, backdrop.size[1] * scale))
    page.marks(drawing.marks, left, bottom, scale)
