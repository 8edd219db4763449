"""Writing the reports' files: PPTX with python-pptx, HTML from the Jinja2 templates in
templates/ beside this module (autoescaped), PDF with matplotlib from the same content (TrueType fonts
embedded, never Type 3; title, author and date in the metadata). Layout lives here; what the
pages say lives in slides, profiles and easy_read."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from pipelines.reports import SYNTHETIC_NOTE, Provenance, Slide, charts

PARTNER_NOTE = "Partner tier: for named partners under a data-sharing agreement. Do not publish."
PROVISIONAL = "Provisional: figures for years with releases still inside their window may change."
SLIDE_W, SLIDE_H = 13.333, 7.5  # inches: 16:9


@cache
def environment():
    """The Jinja2 environment: templates beside this module, every value autoescaped."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    loader = PackageLoader("pipelines.reports", "templates")
    env = Environment(loader=loader, autoescape=select_autoescape(["html", "j2"]))
    env.filters["data_uri"] = data_uri
    return env


def data_uri(picture) -> str:
    """A picture for an <img> of a self-contained page: PNG bytes or a chart drawn as SVG."""
    if isinstance(picture, charts.Drawing):
        return "data:image/svg+xml;base64," + base64.b64encode(picture.svg().encode()).decode()
    return "data:image/png;base64," + base64.b64encode(picture).decode()


def render(template: str, path: Path, **context) -> None:
    context.setdefault("synthetic_note", SYNTHETIC_NOTE)
    context.setdefault("provisional_note", PROVISIONAL)
    path.write_text(environment().get_template(template).render(**context))


def _title_size(title: str) -> int:
    """Points at which a title fits on one line of a 16:9 slide (12.3 inches wide)."""
    return 30 if len(title) <= 46 else 26 if len(title) <= 54 else 22


def _text(page, box: tuple[float, float, float, float], text: str, size: int, **style):
    """A wrapped text box, one paragraph per line, every paragraph given its size (never inherited)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    shape = page.shapes.add_textbox(*(Inches(v) for v in box))
    frame = shape.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = style.get("bold", False)
        paragraph.font.color.rgb = RGBColor.from_string(style.get("colour", "231F20"))
        paragraph.space_after = Pt(6)
    return shape


def _picture(page, png: bytes, alt: str) -> None:
    """The chart fitted into the right-hand area, its alt text set (cNvPr descr)."""
    from PIL import Image
    from pptx.util import Inches

    width, height = Image.open(io.BytesIO(png)).size
    box_w, box_h = 8.2, 5.0
    w = min(box_w, box_h * width / height)
    picture = page.shapes.add_picture(io.BytesIO(png), Inches(4.9 + (box_w - w) / 2), Inches(1.35), width=Inches(w))
    picture._element.nvPicPr.cNvPr.set("descr", alt)
    picture._element.nvPicPr.cNvPr.set("title", alt[:80])


def _footer(page, number: int, total: int, provenance: Provenance, partner: bool) -> None:
    """Source, extract and publication dates, provisional note and slide number; the synthetic
    warning and, on a partner slide, who may see it."""
    footer = f"{provenance.footer()} {PROVISIONAL}"
    _text(page, (0.4, 6.55, 11.6, 0.85), footer, 12, colour="425563")
    _text(page, (12.1, 6.75, 0.9, 0.5), f"{number} / {total}", 12, colour="425563")
    if provenance.synthetic:
        _text(page, (8.3, 0.05, 4.9, 0.4), SYNTHETIC_NOTE, 14, bold=True, colour="DA291C")
    if partner:
        _text(page, (0.4, 0.05, 7.8, 0.4), PARTNER_NOTE, 12, bold=True, colour="425563")


def _slide(deck, slide: Slide, number: int, total: int, provenance: Provenance, partner: bool) -> None:
    """One slide: title on one line, text left, chart right, footer, speaker notes."""
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    page = deck.slides.add_slide(deck.slide_layouts[5])  # title only: the title stays a title placeholder
    title = page.shapes.title
    title.left, title.top, title.width, title.height = Inches(0.4), Inches(0.4), Inches(12.5), Inches(0.85)
    title.text = slide.title
    paragraph = title.text_frame.paragraphs[0]
    paragraph.font.size = Pt(_title_size(slide.title))
    paragraph.font.bold = True
    paragraph.font.color.rgb = RGBColor.from_string("005EB8")
    paragraph.alignment = 1  # left
    body_w = 4.3 if slide.chart else 12.4
    _text(page, (0.4, 1.35, body_w, 5.1), slide.text, 16 if slide.chart else 20)
    if slide.chart:
        _picture(page, slide.chart, slide.alt or slide.title)
    _footer(page, number, total, provenance, partner)
    page.notes_slide.notes_text_frame.text = slide.notes or slide.text


def write_pptx(slides: list[Slide], path: Path, provenance: Provenance, title: str, partner: bool = False) -> None:
    """The slide pack, 16:9, with a footer, slide number and speaker notes on every slide; its
    document properties are the publication's (title, publisher, publication date), not the
    template's."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    for number, slide in enumerate(slides, start=1):
        _slide(deck, slide, number, len(slides), provenance, partner)
    when = (provenance.when or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    properties = deck.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = provenance.publisher.name
    properties.created = properties.modified = when
    properties.revision = 1
    properties.subject = provenance.footer() + (f" {SYNTHETIC_NOTE}." if provenance.synthetic else "")
    properties.keywords = "continuity of care; prison; drug and alcohol treatment; PHOF C20"
    properties.comments = PARTNER_NOTE if partner else provenance.citation()
    properties.language = "en-GB"
    properties.category = "Official statistics (partner tier)" if partner else "Statistics"
    deck.save(str(path))


def write_html_slides(slides: list[Slide], path: Path, provenance: Provenance, title: str,
                      partner: bool = False) -> None:  # fmt: skip
    render("slides.html.j2", path, slides=slides, provenance=provenance, title=title,
           partner_note=PARTNER_NOTE if partner else "")  # fmt: skip


def pdf_metadata(title: str, provenance: Provenance) -> dict:
    """Title, author, subject (source, dates, synthetic or not) and dates of a PDF."""
    now = datetime.now(UTC)
    subject = provenance.footer() + (f" {SYNTHETIC_NOTE}." if provenance.synthetic else "")
    when = provenance.when or now
    return {"Title": title, "Author": provenance.publisher.name, "Subject": subject, "CreationDate": when,
            "ModDate": when}  # fmt: skip


def pdf_pages(path: Path, title: str, provenance: Provenance):
    """A PdfPages with title, author, subject and dates set; fonts embedded as TrueType."""
    charts.setup()
    from matplotlib.backends.backend_pdf import PdfPages

    return PdfPages(path, metadata=pdf_metadata(title, provenance))


def pdf_page_footer(page, provenance: Provenance, number: str, size: int = 10, width: int = 110) -> None:
    """Source, dates and page number along the bottom of a page of pipelines.reports.pdf; the
    synthetic warning on top."""
    import textwrap

    w, h = page.width, page.height
    page.lines(0.06 * w, 0.02 * h, textwrap.wrap(provenance.footer(), width), size, colour="#425563", valign="bottom")
    page.lines(0.94 * w, 0.02 * h, [number], size, colour="#425563", valign="bottom", align="right")
    if provenance.synthetic:
        page.lines(0.94 * w, 0.975 * h, [SYNTHETIC_NOTE], size + 4, colour=charts.TEXT["alert"], bold=True,
                   align="right")  # fmt: skip


def picture_axes(fig, png: bytes, box: tuple[float, float, float, float]) -> None:
    """A PNG placed in a PDF page at box (left, bottom, width, height in figure fractions)."""
    import matplotlib.image as mpimg

    ax = fig.add_axes(box)
    ax.imshow(mpimg.imread(io.BytesIO(png), format="png"))
    ax.axis("off")


def write_easy_read(pages, html_path: Path, pdf_path: Path, provenance: Provenance) -> None:
    """The easy-read summary: HTML from its template and a PDF of the same pages, one idea per
    page, picture on the left, text on the right, at least 18 pt; a footer in plain words."""
    from pipelines.reports.easy_read import footer

    words = footer(provenance)
    render("easy_read.html.j2", html_path, pages=pages, provenance=provenance, title="Getting help after prison",
           footer=words)  # fmt: skip
    plt = charts.setup()
    import textwrap

    with pdf_pages(pdf_path, "Getting help after prison: easy read", provenance) as pdf:
        for number, page in enumerate(pages, start=1):
            fig = plt.figure(figsize=(11.69, 8.27))  # A4 landscape
            fig.text(0.06, 0.86, page.heading, fontsize=30, fontweight="bold", color=charts.TEXT["heading"])
            picture_axes(fig, page.picture, (0.04, 0.3, 0.34, 0.5))
            y = 0.76
            for sentence in page.sentences:
                lines = textwrap.wrap(sentence, 38)  # breaks at spaces only: a no-break space holds
                fig.text(0.42, y, "\n".join(lines), fontsize=22, va="top", linespacing=1.3)
                y -= 0.05 * len(lines) + 0.035
            fig.text(0.06, 0.02, "\n".join(textwrap.wrap(words, 80)), fontsize=16, color=charts.TEXT["muted"],
                     va="bottom")  # fmt: skip
            fig.text(0.94, 0.02, f"Page {number} of {len(pages)}", fontsize=16, color=charts.TEXT["muted"],
                     ha="right", va="bottom")  # fmt: skip
            if provenance.synthetic:
                fig.text(0.94, 0.975, SYNTHETIC_NOTE, fontsize=20, color=charts.TEXT["alert"], ha="right", va="top",
                         fontweight="bold")  # fmt: skip
            pdf.savefig(fig)
            plt.close(fig)
