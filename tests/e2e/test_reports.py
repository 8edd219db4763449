"""The reports to publication standard, checked on the outputs of a run of the generator's
sample (synthetic, so every page must say so): the slide pack's layout, fonts, alt text and
footers; the easy-read against the Department of Health guidance; PDF fonts and metadata; a
profile for every local authority with releases; numbers equal to the open publication's."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pytest
from pptx import Presentation
from pptx.util import Pt
from pypdf import PdfReader

from pipelines.dev.generate import GeneratorConfig, generate
from pipelines.disclosure import rules_from_project

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "CONTINUITY_PSEUDO_KEY"}  # the generator's sample: dev key
SYNTHETIC = "Synthetic data - not real statistics"
LONG_DATE = r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    # 0.03 of England a year: large enough that some local authorities' rates are published
    generate(root / "landing", GeneratorConfig(seed=11, scale=0.03))
    done = subprocess.run(
        CLI + ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "wh" / "c.duckdb")],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    published = root / "wh" / "published"
    return {"published": published, "reports": published / "reports", "exports": published / "exports"}


def query(demo, sql: str, *params) -> list[tuple]:
    con = duckdb.connect(str(demo["published"] / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_every_slide_fits_16_9_with_readable_text_alt_text_footer_and_notes(demo):
    deck = Presentation(str(demo["reports"] / "continuity_slides.pptx"))
    width, height = deck.slide_width, deck.slide_height
    assert abs(width / height - 16 / 9) < 0.01
    for number, slide in enumerate(deck.slides, start=1):
        texts = []
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, (number, shape.name)
            if shape.shape_type == 13:  # picture
                alt = shape._element.nvPicPr.cNvPr.get("descr", "")
                assert len(alt) > 40 and "image" not in alt.lower()[:10], (number, alt)
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
                for paragraph in shape.text_frame.paragraphs:
                    sizes = [paragraph.font.size, *(run.font.size for run in paragraph.runs)]
                    assert all(s is None or s >= Pt(12) for s in sizes), (number, paragraph.text)
                    assert any(s is not None for s in sizes), (number, paragraph.text)
        text = "\n".join(texts)
        assert re.search(r"Data extracted to " + LONG_DATE, text) and re.search("Produced " + LONG_DATE, text)
        assert "Source:" in text and "Provisional" in text and f"{number} / {len(deck.slides)}" in text
        assert SYNTHETIC in text
        assert slide.notes_slide.notes_text_frame.text.strip(), number


def test_slide_numbers_are_the_publications_and_names_not_codes(demo):
    deck = Presentation(str(demo["reports"] / "continuity_slides.pptx"))
    slides = {s.shapes.title.text: s for s in deck.slides}
    rows = query(
        demo,
        "select period_label, value_pct, denominator, period_start from marts.phof_c20 where geography_type = "
        "'england' and period_type = 'financial_year' and denominator > 0 order by period_start",
    )
    national = slides["National continuity of care by financial year"]
    label, value, denominator, latest = rows[-1]
    assert f"In {label}, {value:.1f}% of {denominator:,} adults" in national.shapes[1].text_frame.text
    notes = national.notes_slide.notes_text_frame.text
    assert all(f"{lab} {v:.1f}%" in notes for lab, v, *_ in rows)  # every year in the speaker notes
    # the flows slide: the largest published pairs, largest first, each count as published
    flows = query(
        demo,
        "select releases from marts.continuity_flows where period_type = 'financial_year' and period_start = ? "
        "and value_pct is not null and flow_type = 'pair' order by releases desc, estab_code, exit_la_code limit 10",
        latest,
    )
    flow_slides = [s for t, s in slides.items() if t.startswith("Largest prison to local authority flows")]
    if flows:
        drawn = flow_slides[0].notes_slide.notes_text_frame.text
        assert re.findall(r"(\d+) released", drawn) == [str(n) for (n,) in flows]
    else:
        assert flow_slides == []
    codes = {c for (c,) in query(demo, "select distinct geography_code from marts.phof_c20 where geography_type "
                                       "in ('local_authority', 'prison')")}  # fmt: skip
    for slide in deck.slides:
        words = set(re.findall(r"[A-Z0-9]+", " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)))
        assert not words & codes, slide.shapes.title.text


class _Text(HTMLParser):
    """The text of each <p> and the CSS of the <style> of an HTML page."""

    def __init__(self):
        super().__init__()
        self.paragraphs, self.css, self._tag = [], "", None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "p":
            self.paragraphs.append("")

    def handle_data(self, data):
        if self._tag == "p":
            self.paragraphs[-1] += data
        elif self._tag == "style":
            self.css += data


def test_easy_read_follows_the_guidance(demo):
    page = (demo["reports"] / "easy_read.html").read_text()
    parsed = _Text()
    parsed.feed(page)
    sentences = [s for p in parsed.paragraphs for s in re.split(r"(?<=[.?!])\s+", p.strip()) if s]
    assert len(sentences) > 15
    assert all(len(s.split()) <= 15 for s in sentences), [s for s in sentences if len(s.split()) > 15]
    sizes = re.findall(r"font-size:\s*([^;}\s]+)", parsed.css)
    assert sizes and all(s.endswith("pt") and float(s[:-2]) >= 16 for s in sizes), sizes  # every size, in points
    assert page.count('<section class="page">') <= 12
    words = " ".join(sentences)
    assert not re.search(r"\b20\d\d[-/]\d\d\b", words)  # no year ranges
    assert set(re.findall(r"\b[A-Z]{2,}\b", words)) <= {"FRANK"}  # no acronyms; FRANK is a name
    assert re.search(r"from April 20\d\d to March 20\d\d", words)
    value = query(
        demo,
        "select value_pct from marts.phof_c20 where geography_type = 'england' and period_type = 'financial_year' "
        "and denominator > 0 order by period_start desc limit 1",
    )[0][0]
    assert f"About {round(value / 10)} in 10 people got help" in words
    assert "Who made this report" in page and "Where to get help" in page and page.count(SYNTHETIC) >= 8


@pytest.mark.parametrize("name", ["easy_read.pdf", "local_area_profiles.pdf"])
def test_pdfs_embed_truetype_fonts_and_say_what_they_are(demo, name):
    reader = PdfReader(demo["reports"] / name)
    assert reader.metadata.title and reader.metadata.author and reader.metadata.creation_date
    for number, page in enumerate(reader.pages, start=1):
        fonts = page["/Resources"]["/Font"]
        for font in fonts.values():
            font = font.get_object()
            assert font["/Subtype"] != "/Type3", (name, number)
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), (name, number)  # embedded
        assert SYNTHETIC in page.extract_text(), (name, number)


def test_a_profile_for_every_local_authority_with_releases(demo):
    no_releases = rules_from_project().note("no_releases")
    expected = query(
        demo,
        "select geography_code, geography_name from marts.phof_c20 where geography_type = 'local_authority' "
        "and period_type = 'financial_year' group by all having bool_or(coalesce(value_note, '') not like ?) "
        "order by 1",
        f"%{no_releases}%",
    )
    folder = demo["reports"] / "profiles"
    assert sorted(p.stem for p in folder.glob("*.html")) == [c for c, _ in expected]
    assert len(PdfReader(demo["reports"] / "local_area_profiles.pdf").pages) == len(expected)
    latest = query(
        demo,
        "select geography_code, period_label, value_pct, compared_with_england_95 from marts.phof_c20 "
        "where geography_type = 'local_authority' and period_type = 'financial_year' and value_pct is not null "
        "qualify period_start = max(period_start) over ()",
    )
    assert latest, "some area's latest rate is published"
    for code, label, value, compared in latest:
        page = (folder / f"{code}.html").read_text()
        assert f"{label}: {value:.1f}% (95% interval" in page and f"Compared with England: {compared}" in page
        assert SYNTHETIC in page


def test_every_numeric_workbook_cell_is_a_number_and_every_sheet_says_synthetic(demo):
    book = openpyxl.load_workbook(demo["exports"] / "prp" / "inequality_breakdowns.xlsx")
    for sheet in book.worksheets:
        values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        assert SYNTHETIC in values, sheet.title
        if sheet.title == "Notes":
            continue
        assert sheet.freeze_panes == "C8" and sheet.page_setup.orientation == "landscape"
        for row in sheet.iter_rows(min_row=8):
            for cell in row[2:10]:
                assert cell.value is None or cell.value == "*" or isinstance(cell.value, int | float), cell.coordinate


def test_report_rebuild_refuses_a_foreign_folder(demo, tmp_path):
    (tmp_path / "mine.txt").write_text("not the pipeline's")
    done = subprocess.run(
        CLI + ["report", "--published", str(demo["published"]), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert done.returncode != 0 and "did not write" in done.stdout + done.stderr
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["mine.txt"]
