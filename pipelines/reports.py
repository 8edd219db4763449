"""Reports people read, built from the published marts alone (`continuity report`):

- a slide pack (PPTX, and the same slides as one self-contained HTML file): national C20
  trend, a funnel plot of local authorities, the largest prison -> area flows, the attrition
  funnel, recording problems, inequality dot-and-interval charts, ER outcomes by site;
- an easy-read summary (HTML and PDF): short sentences, large type, one idea and one picture
  per page, after the UK government's easy-read guidance.

Charts are drawn offline with matplotlib (no CDN, no browser). Every number below national
level is disclosure controlled with the export rules (pipelines/disclosure.py): a count is
rounded to 5, a rate needs at least min_count observations, or it is left out.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.disclosure import Rules, rules_from_project

COLOURS = {"main": "#005EB8", "light": "#41B6E6", "grey": "#768692", "warn": "#DA291C"}  # NHS palette


@dataclass
class Slide:
    title: str
    text: str
    chart: bytes | None = None  # PNG
    numbers: list[str] = field(default_factory=list)  # every number shown, for checking


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return buffer.getvalue()


def _fy(start) -> str:
    return f"{start.year}-{str(start.year + 1)[2:]}"


def gather(con, rules: Rules) -> dict:
    """The disclosure-safe figures the reports show."""
    q = lambda sql: con.sql(sql).pl()  # noqa: E731
    national = q(
        "select period_start, numerator, denominator, pending, value_pct, lower_ci95_pct, upper_ci95_pct "
        "from marts.phof_c20 where geography_type = 'england' and period_type = 'financial_year' "
        "and denominator > 0 order by period_start"
    )
    latest = national["period_start"].max() if national.height else None
    data = {"national": national, "latest": latest, "rules": rules}
    if latest is None:
        return data
    # Below England every figure comes from the publication's disclosure-controlled tables
    # (models/publication/): rounded counts, rates recomputed from them, NULL where hidden.
    data["las"] = q(
        f"select geography_name, denominator, value_pct, england_value_pct, lower_limit_95_pct, "
        f"upper_limit_95_pct, lower_limit_998_pct, upper_limit_998_pct, position_998 from marts.phof_c20_funnel "
        f"where geography_type = 'local_authority' and period_type = 'financial_year' "
        f"and period_start = date '{latest}'"
    )
    data["flows"] = q(
        f"select estab_code, exit_la_code, releases, value_pct from marts.continuity_flows "
        f"where period_type = 'financial_year' and period_start = date '{latest}' "
        f"and value_pct is not null order by releases desc, estab_code, exit_la_code limit 10"
    )
    data["funnel"] = q(
        f"select split_type, split_value, transferred, referral_received, appointment_offered, engaged, "
        f"engaged_pct from marts.audit_attrition where geography_type = 'england' "
        f"and period_type = 'financial_year' and period_start = date '{latest}'"
    )
    data["problems"] = q(
        "select issue_type, sum(issues) as n, sum(releases_would_engage) as would_engage "
        "from marts.recording_issues_summary where provider_role = 'england' group by issue_type order by n desc"
    )
    data["inequality"] = q(
        "select variable, category, n, mean, lower_ci95, upper_ci95 from marts.inequality_breakdowns "
        "where outcome = 'engaged_within_21_days' and not adjusted and mean is not null "
        "and variable in ('age_band', 'sex', 'ethnic_group', 'imd_quintile') order by variable, category"
    )
    data["er"] = q(
        "select site, delivery_model, outcome, n, value_pct, lower_ci95_pct, upper_ci95_pct "
        "from marts.er_outcomes_summary where priority_group = 'all' and value_pct is not null "
        "order by site, outcome"
    )
    return data


def build_slides(data: dict) -> list[Slide]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rules: Rules = data["rules"]
    national = data["national"]
    slides = [
        Slide(
            "Continuity of care for people leaving prison",
            "PHOF indicator 2.16 / C20: adults released from prison with a substance misuse treatment need "
            "who start structured community treatment within 21 days. Every figure below national level is "
            f"disclosure controlled (counts rounded to {rules.rounding_base}, rates on fewer than "
            f"{rules.min_count} people not shown).",
        )
    ]
    if data["latest"] is None:
        slides.append(
            Slide("No judged releases yet", "The publication holds no release whose 21-day window has closed.")
        )
        return slides
    latest_label = _fy(data["latest"])
    last = national.row(-1, named=True)

    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels = [_fy(d) for d in national["period_start"]]
    values = national["value_pct"].to_list()
    errors = [
        [v - lo for v, lo in zip(values, national["lower_ci95_pct"], strict=True)],
        [hi - v for v, hi in zip(values, national["upper_ci95_pct"], strict=True)],
    ]
    ax.errorbar(labels, values, yerr=errors, fmt="o-", color=COLOURS["main"], capsize=6, lw=2)
    for x, v in zip(labels, values, strict=True):
        ax.annotate(f"{v:.1f}%", (x, v), textcoords="offset points", xytext=(8, 8))
    ax.set_ylim(0, 100)
    ax.set_ylabel("% engaged within 21 days")
    ax.set_title("England, by financial year (95% interval)")
    ax.grid(axis="y", alpha=0.3)
    trend_numbers = [f"{v:.1f}%" for v in values]
    slides.append(
        Slide(
            "National continuity of care by financial year",
            f"In {latest_label}, {last['value_pct']:.1f}% of {last['denominator']:,} adults released with a treatment need "
            f"started structured treatment within 21 days (95% interval {last['lower_ci95_pct']:.1f}% to "
            f"{last['upper_ci95_pct']:.1f}%)."
            + (f" {last['pending']:,} releases are still inside their window." if last["pending"] else ""),
            _png(fig),
            trend_numbers,
        )
    )

    las = data["las"]
    if las.height:
        # limits and positions come from the funnel mart of the publication; the curves are
        # drawn through its points, sorted by denominator
        fig, ax = plt.subplots(figsize=(8, 4.6))
        curve = las.sort("denominator")
        for level, style in (("95", "--"), ("998", ":")):
            label = "95% limits" if level == "95" else "99.8% limits"
            ax.plot(curve["denominator"], curve[f"upper_limit_{level}_pct"], style, color=COLOURS["grey"], label=label)
            ax.plot(curve["denominator"], curve[f"lower_limit_{level}_pct"], style, color=COLOURS["grey"])
        england = las["england_value_pct"][0]
        ax.axhline(england, color=COLOURS["main"], lw=1, label=f"England {england:.1f}%")
        ax.scatter(las["denominator"], las["value_pct"], s=14, color=COLOURS["light"], zorder=3)
        outliers = las.filter(pl.col("position_998") != "inside").sort("value_pct", descending=True)
        for row in outliers.iter_rows(named=True):
            ax.annotate(
                row["geography_name"],
                (row["denominator"], row["value_pct"]),
                fontsize=8,
                textcoords="offset points",
                xytext=(4, 4),
            )
        ax.set_xlabel("Releases judged (denominator, as published)")
        ax.set_ylabel("% engaged within 21 days")
        ax.set_ylim(0, 100)
        ax.legend(loc="upper right", fontsize=8)
        named = ", ".join(
            f"{r['geography_name']} ({'above' if r['position_998'] == 'above' else 'below'})"
            for r in outliers.iter_rows(named=True)
        )
        slides.append(
            Slide(
                f"Local authorities against England, {latest_label}",
                f"Each dot is a local authority whose rate is published ({las.height} areas; the others have too few "
                "releases to show). "
                + (
                    f"Outside the 99.8% control limits, a difference from England beyond chance: {named}."
                    if outliers.height
                    else "None lies outside the 99.8% control limits."
                ),
                _png(fig),
                [str(las.height), *outliers["geography_name"].to_list()],
            )
        )

    flows = data["flows"]
    if flows.height:
        fig, ax = plt.subplots(figsize=(8, 4.6))
        names = [f"{e} -> {la}" for e, la in zip(flows["estab_code"], flows["exit_la_code"], strict=True)][::-1]
        shown = [int(n) for n in flows["releases"]][::-1]  # already rounded in the publication
        ax.barh(names, shown, color=COLOURS["main"])
        for y, (n, v) in enumerate(zip(shown, flows["value_pct"].to_list()[::-1], strict=True)):
            ax.text(n, y, f"  {n} released, {v:.0f}% engaged", va="center", fontsize=8)
        ax.set_xlabel(f"Releases (rounded to {rules.rounding_base})")
        ax.set_xlim(0, max(shown) * 1.6)
        slides.append(
            Slide(
                f"Largest prison to local authority flows, {latest_label}",
                "The ten largest prison -> receiving-area flows and how many of those released engaged: a prison's "
                "main receiving areas and an area's main referring prisons (the PHOF 2.16 companion report).",
                _png(fig),
                [str(n) for n in shown],
            )
        )

    funnel = data["funnel"].filter(pl.col("split_type") == "all")
    if funnel.height:
        row = funnel.row(0, named=True)
        steps = [
            ("Transferred", row["transferred"]),
            ("Referral received", row["referral_received"]),
            ("Appointment offered", row["appointment_offered"]),
            ("Engaged", row["engaged"]),
        ]
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.barh([s for s, _ in steps][::-1], [n for _, n in steps][::-1], color=COLOURS["main"])
        for y, (_, n) in enumerate(steps[::-1]):
            ax.text(n, y, f"  {n:,}", va="center")
        ax.set_xlim(0, row["transferred"] * 1.2)
        inreach = {
            r["split_value"]: r["engaged_pct"]
            for r in data["funnel"].filter(pl.col("split_type") == "inreach").iter_rows(named=True)
        }
        text = (
            f"England, {latest_label}: of {row['transferred']:,} released, {row['referral_received']:,} were referred to a "
            f"community service, {row['appointment_offered']:,} offered an appointment and {row['engaged']:,} engaged."
        )
        numbers = [f"{n:,}" for _, n in steps]
        if "inreach" in inreach and "no_inreach" in inreach:
            text += (
                f" With contact before release {inreach['inreach']:.1f}% engaged; without, "
                f"{inreach['no_inreach']:.1f}%."
            )
            numbers += [f"{inreach['inreach']:.1f}%", f"{inreach['no_inreach']:.1f}%"]
        slides.append(Slide(f"Where people are lost: the attrition funnel, {latest_label}", text, _png(fig), numbers))

    problems = data["problems"]
    if problems.height:
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.barh(problems["issue_type"].to_list()[::-1], problems["n"].to_list()[::-1], color=COLOURS["warn"])
        ax.set_xlabel("Records to check (England, all periods)")
        fixable = int(problems["would_engage"].sum())
        slides.append(
            Slide(
                "Recording problems that lower the rate",
                f"{int(problems['n'].sum()):,} records to check in England. Fixing them could move up to {fixable:,} "
                "releases into the numerator. Attributor mismatches also catch different people with the same "
                "initials: check them, do not correct them blindly.",
                _png(fig),
                [f"{int(problems['n'].sum()):,}", f"{fixable:,}"],
            )
        )

    inequality = data["inequality"]
    if inequality.height:
        variables = inequality["variable"].unique(maintain_order=True).to_list()
        fig, axes = plt.subplots(1, len(variables), figsize=(11, 4.2), sharex=True, layout="constrained")
        axes = [axes] if len(variables) == 1 else axes
        for ax, variable in zip(axes, variables, strict=True):
            part = inequality.filter(pl.col("variable") == variable)
            y = list(range(part.height))
            ax.errorbar(
                [100 * m for m in part["mean"]],
                y,
                xerr=[
                    [100 * (m - lo) for m, lo in zip(part["mean"], part["lower_ci95"], strict=True)],
                    [100 * (hi - m) for m, hi in zip(part["mean"], part["upper_ci95"], strict=True)],
                ],
                fmt="o",
                color=COLOURS["main"],
                capsize=3,
            )
            ax.set_yticks(y, [c[:18] for c in part["category"]], fontsize=7)
            ax.set_title(variable.replace("_", " "), fontsize=9)
            ax.set_xlim(0, 100)
        fig.supxlabel("% engaged within 21 days (95% interval)")
        slides.append(
            Slide(
                "Who engages: health-inequality breakdowns",
                f"Unadjusted rates by age, sex, ethnic group and deprivation, all periods; groups with fewer than "
                f"{rules.min_count} people are not shown. Age-sex adjusted tables are in the PRP exports.",
                _png(fig),
            )
        )

    er = data["er"].filter(
        pl.col("outcome").is_in(["successful_outcome", "first_healthcare_appointment", "engaged_at_12_months", "taim"])
    )
    if er.height:
        fig, ax = plt.subplots(figsize=(8, 4))
        shown_er = er  # only values the publication shows
        sites = shown_er["site"].unique(maintain_order=True).to_list()
        outcomes = shown_er["outcome"].unique(maintain_order=True).to_list()
        width = 0.8 / max(len(sites), 1)
        for i, site in enumerate(sites):
            part = shown_er.filter(pl.col("site") == site)
            xs = [outcomes.index(o) + i * width for o in part["outcome"]]
            ax.bar(
                xs,
                part["value_pct"],
                width,
                label=f"{site} ({part['delivery_model'][0]})",
                color=[COLOURS["main"], COLOURS["light"], COLOURS["grey"]][i % 3],
            )
        ax.set_xticks(
            [i + width * (len(sites) - 1) / 2 for i in range(len(outcomes))],
            [o.replace("_", " ") for o in outcomes],
            fontsize=8,
        )
        ax.set_ylim(0, 100)
        ax.set_ylabel("% achieved")
        ax.legend(fontsize=8)
        success = shown_er.filter(pl.col("outcome") == "successful_outcome")
        text = "Enhanced RECONNECT outcomes by pilot site and delivery model. " + " ".join(
            f"{r['site']}: {r['value_pct']:.1f}% successful ({r['lower_ci95_pct']:.1f}% to {r['upper_ci95_pct']:.1f}%)."
            for r in success.iter_rows(named=True)
        )
        slides.append(
            Slide(
                "Enhanced RECONNECT: outcomes by site",
                text,
                _png(fig),
                [f"{r['value_pct']:.1f}%" for r in success.iter_rows(named=True)],
            )
        )
    return slides


def write_pptx(slides: list[Slide], path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    for slide in slides:
        page = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        page.shapes.title.text = slide.title
        page.shapes.title.text_frame.paragraphs[0].font.size = Pt(30)
        box = page.shapes.add_textbox(Inches(0.6), Inches(1.5), Inches(4.6) if slide.chart else Inches(12), Inches(5))
        box.text_frame.word_wrap = True
        box.text_frame.text = slide.text
        box.text_frame.paragraphs[0].font.size = Pt(18)
        if slide.chart:
            page.shapes.add_picture(io.BytesIO(slide.chart), Inches(5.4), Inches(1.5), width=Inches(7.5))
    deck.save(str(path))


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def write_html_slides(slides: list[Slide], path: Path) -> None:
    sections = "".join(
        f"<section><h2>{html.escape(s.title)}</h2><p>{html.escape(s.text)}</p>"
        + (_img(s.chart, s.title) if s.chart else "")
        + "</section>"
        for s in slides
    )
    path.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Continuity of care: slide pack</title><style>
body{{font-family:Arial,sans-serif;margin:0;background:#f0f4f5}}
section{{background:#fff;margin:2em auto;padding:2em 3em;max-width:60em;min-height:30em;page-break-after:always;
box-shadow:0 0 4px #999}} h2{{color:#005EB8}} p{{font-size:1.2em;line-height:1.5}} img{{max-width:100%}}
</style></head><body>{sections}</body></html>
""")


def _people_picture(filled: int, total: int = 10, size: tuple[float, float] = (6, 1.6)) -> bytes:
    """`filled` of `total` person figures coloured: the easy-read picture of a proportion."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch

    fig, ax = plt.subplots(figsize=size)
    for i in range(total):
        colour = COLOURS["main"] if i < filled else "#D9DEE1"
        ax.add_patch(Circle((i + 0.5, 1.55), 0.22, color=colour))
        ax.add_patch(FancyBboxPatch((i + 0.25, 0.2), 0.5, 1.0, boxstyle="round,pad=0.05", color=colour))
    ax.set_xlim(0, total)
    ax.set_ylim(0, 2)
    ax.set_aspect("equal")
    ax.axis("off")
    return _png(fig)


def _sign_picture(symbol: str, colour: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.2, 2.2))
    ax.add_patch(plt.Circle((0.5, 0.5), 0.45, color=colour))
    ax.text(0.5, 0.47, symbol, ha="center", va="center", fontsize=60, color="white", fontweight="bold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return _png(fig)


def easy_read_pages(data: dict) -> list[tuple[str, list[str], bytes]]:
    """(heading, short sentences, picture) per page."""
    if data["latest"] is None:
        return [
            (
                "About this report",
                ["There are no figures yet.", "Come back after the next update."],
                _sign_picture("i", COLOURS["main"]),
            )
        ]
    last = data["national"].row(-1, named=True)
    in_ten = round(last["value_pct"] / 10)
    pages = [
        (
            "About this report",
            [
                "This report is about people leaving prison.",
                "Some of them use drugs or alcohol.",
                "They need help from a service near where they live.",
            ],
            _sign_picture("i", COLOURS["main"]),
        ),
        (
            "How many people got help",
            [
                f"About {in_ten} in 10 people got help within 3 weeks of leaving prison.",
                f"This is for {_fy(data['latest'])}.",
                "We want more people to get help quickly.",
            ],
            _people_picture(in_ten),
        ),
    ]
    inreach = (
        {
            r["split_value"]: r["engaged_pct"]
            for r in data.get("funnel", pl.DataFrame()).filter(pl.col("split_type") == "inreach").iter_rows(named=True)
        }
        if data.get("funnel") is not None
        else {}
    )
    if "inreach" in inreach and "no_inreach" in inreach:
        pages.append(
            (
                "Meeting a worker before you leave helps",
                [
                    f"About {round(inreach['inreach'] / 10)} in 10 people got help if a worker met them in prison.",
                    f"About {round(inreach['no_inreach'] / 10)} in 10 people got help if nobody met them.",
                    "Meeting a worker before you leave makes a big difference.",
                ],
                _people_picture(round(inreach["inreach"] / 10)),
            )
        )
    pages += [
        (
            "Some records have mistakes",
            [
                "Sometimes prisons and services write things down wrongly.",
                "Then people who got help are not counted.",
                "Services are checking and fixing their records.",
            ],
            _sign_picture("!", COLOURS["warn"]),
        ),
        (
            "What this means for you",
            [
                "If you are leaving prison, ask to meet your community worker before you leave.",
                "Go to your first appointment.",
                "Ask for help if you miss it. You can still get support.",
            ],
            _sign_picture("✓", "#009639"),
        ),
    ]
    return pages


def write_easy_read(pages, html_path: Path, pdf_path: Path) -> None:
    body = "".join(
        f"<section><h2>{html.escape(title)}</h2>{_img(picture, title)}"
        + "".join(f"<p>{html.escape(s)}</p>" for s in sentences)
        + "</section>"
        for title, sentences, picture in pages
    )
    html_path.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Getting help after prison: easy read</title><style>
body{{font-family:Arial,sans-serif;font-size:28px;line-height:1.6;margin:0;background:#fff;color:#000}}
section{{max-width:30em;margin:0 auto;padding:1.5em;min-height:90vh;page-break-after:always;border-bottom:2px solid #ccc}}
h2{{font-size:1.5em;color:#005EB8}} img{{max-width:60%;display:block;margin:1em 0}}
</style></head><body><h1>Getting help after prison</h1>{body}</body></html>
""")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(pdf_path) as pdf:
        for title, sentences, picture in pages:
            fig = plt.figure(figsize=(8.27, 11.69))  # A4
            fig.text(0.08, 0.92, title, fontsize=30, fontweight="bold", color=COLOURS["main"], wrap=True)
            ax = fig.add_axes([0.08, 0.62, 0.6, 0.25])
            ax.imshow(mpimg.imread(io.BytesIO(picture), format="png"))
            ax.axis("off")
            y = 0.55
            for sentence in sentences:
                fig.text(0.08, y, sentence, fontsize=22, wrap=True, va="top")
                y -= 0.12
            pdf.savefig(fig)
            plt.close(fig)


REPORT_FILES = {
    "slides": "continuity_slides.pptx",
    "slides_html": "continuity_slides.html",
    "easy_read": "easy_read.html",
    "easy_read_pdf": "easy_read.pdf",
}
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
    """Write the slide pack and the easy-read summary of an open publication into `out`:
    each file written beside its final name and renamed over it, nothing else touched."""
    rules = rules or rules_from_project()
    claim_folder(out)
    con = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        data = gather(con, rules)
    finally:
        con.close()
    slides = build_slides(data)
    building = {key: out / f".{name}.building" for key, name in REPORT_FILES.items()}
    write_pptx(slides, building["slides"])
    write_html_slides(slides, building["slides_html"])
    write_easy_read(easy_read_pages(data), building["easy_read"], building["easy_read_pdf"])
    for key, name in REPORT_FILES.items():
        building[key].replace(out / name)
    return {key: out / name for key, name in REPORT_FILES.items()}
