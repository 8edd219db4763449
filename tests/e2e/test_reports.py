"""The reports to publication standard, checked on the outputs of a run of the generator's
sample (synthetic, so every page must say so): the slide pack's layout, fonts, alt text,
footers and document properties; the partner pack from the partner tables; the easy-read
against the Department of Health guidance; PDF fonts, metadata, language and bookmarks; a
profile for every local authority with releases, its table the publication's own figures for
the area, its region and England; HTML tables with captions and scopes; the workbook and the
validation report."""

import json
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

from pipelines.disclosure import rules_from_project
from pipelines.reports import build_reports

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "CONTINUITY_PSEUDO_KEY"}  # the generator's sample: dev key
SYNTHETIC = "Synthetic data - not real statistics"
LONG_DATE = r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}"


@pytest.fixture(scope="module")
def demo(demo_build):
    """The demo sample's run (tests/e2e/conftest.py: built once a session): large enough that
    some local authorities' rates are published."""
    root = demo_build[0]
    published = root / "wh" / "published"
    return {
        "published": published,
        "partner": root / "wh" / "partner",
        "reports": published / "reports",
        "exports": published / "exports",
        "root": root,
    }


@pytest.fixture(scope="module")
def partner(demo):
    """The partner pack, rebuilt from the run's partner tier."""
    out = demo["root"] / "rebuilt"
    files = build_reports(demo["published"], out, partner=demo["partner"], partner_out=demo["root"] / "partner-pack",
                          publisher="Test Publisher", publication_title="Test publication")  # fmt: skip
    return files


def query(demo, sql: str, *params, tier: str = "open") -> list[tuple]:
    if tier == "open":
        con = duckdb.connect(str(demo["published"] / "marts.duckdb"), read_only=True)
    else:  # the partner file's tables, queried as marts.<table> as partners do
        con = duckdb.connect()
        con.execute(f"attach '{demo['partner'] / 'partner_marts.duckdb'}' as marts (read_only)")
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
        assert re.search(r"Data extracted to " + LONG_DATE, text) and re.search("published " + LONG_DATE, text)
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
    assert not any(t.startswith("Prison to local authority flows") for t in slides)  # partner content: not here
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
    assert len(PdfReader(demo["reports"] / "local_area_profiles.pdf").pages) == 3 * len(expected)  # three pages each
    latest = query(
        demo,
        "select geography_code, period_label, value_pct, compared_with_england_95 from ("
        "select * from marts.phof_c20 where geography_type = 'local_authority' and period_type = 'financial_year' "
        "qualify period_start = max(period_start) over ()) where value_pct is not null",
    )
    # (on this small sample the latest year may hide every area's rate: then each profile says so)
    if not latest:
        codes = [c for c, _ in expected]
        assert all(": the rate is " in (folder / f"{c}.html").read_text() for c in codes[:5])
    for code, label, value, compared in latest:
        page = (folder / f"{code}.html").read_text()
        assert f"{label}: {value:.1f}% (95% interval" in page and f"Compared with England: {compared.lower()}" in page
        assert SYNTHETIC in page


def test_every_numeric_workbook_cell_is_a_number_and_every_sheet_says_synthetic(demo):
    book = openpyxl.load_workbook(demo["exports"] / "prp" / "inequality_breakdowns.xlsx")
    for sheet in book.worksheets:
        values = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        assert any(SYNTHETIC in v for v in values), sheet.title
        assert not sheet.merged_cells.ranges, sheet.title
        if sheet.title in ("Cover", "Contents", "Notes"):
            continue
        header = next(c.row for c in sheet["A"] if c.value == "Variable")
        assert sheet.freeze_panes == f"C{header + 1}" and sheet.page_setup.orientation == "landscape"
        for row in sheet.iter_rows(min_row=header + 1):
            for cell in row[2:10]:
                assert cell.value in ("[c]", "[x]") or isinstance(cell.value, int | float), cell.coordinate


def test_the_partner_pack_ranks_every_published_flow_and_says_when_a_rate_is_hidden(demo, partner):
    deck = Presentation(str(partner["partner_slides"]))
    slides = {s.shapes.title.text: s for s in deck.slides}
    latest = query(demo, "select max(period_start) from marts.phof_c20 where period_type = 'financial_year'")[0][0]
    flows = query(
        demo,
        "select releases, value_pct from marts.continuity_flows where period_type = 'financial_year' "
        "and period_start = ? and flow_type = 'pair' and releases is not null order by releases desc, prison_name, la_name",
        latest,
        tier="partner",
    )
    drawn = [s for t, s in slides.items() if t.startswith("Prison to local authority flows")]
    if flows:  # every published flow, largest first, its count as published and its rate or why it is hidden
        notes = drawn[0].notes_slide.notes_text_frame.text
        assert re.findall(r"\d+\. [^:]+: ([\d,]+) released", notes) == [f"{n:,}" for n, _ in flows]
        assert notes.count("rate hidden (small numbers)") == sum(v is None for _, v in flows)
    else:  # the ranking itself: tests/pipelines/reports/test_slides.py
        assert drawn == []
    titles = {t.rsplit(",", 1)[0] for t in slides}
    assert "Enhanced RECONNECT: outcomes by site" in titles
    shown_problems = query(
        demo,
        "select count(*) from marts.recording_issues_summary where provider_role <> 'england' and issues > 0 "
        "and financial_year = (select max(financial_year) from marts.recording_issues_summary)",
        tier="partner",
    )[0][0]
    assert ("Recording problems by provider" in titles) == (shown_problems > 0)
    assert all(
        "Do not publish" in " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in deck.slides
    )
    properties = deck.core_properties
    assert properties.author == properties.last_modified_by == "Test Publisher"
    assert properties.title == "Test publication: partner slide pack" and properties.created.year > 2020
    page = partner["partner_slides_html"].read_text()
    assert page.count("<h1") == 1 and page.count("<main>") == 1


def test_the_slide_pack_carries_the_publications_properties_and_one_h1(demo):
    deck = Presentation(str(demo["reports"] / "continuity_slides.pptx"))
    stamp = json.loads((demo["published"] / "notes.json").read_text())["published_at"]
    properties = deck.core_properties
    assert properties.author and properties.author == properties.last_modified_by != "Steve Canny"
    assert properties.created.strftime("%Y%m%dT%H%M%S") == stamp[:15] == properties.modified.strftime("%Y%m%dT%H%M%S")
    page = (demo["reports"] / "continuity_slides.html").read_text()
    assert page.count("<h1") == 1 and page.count("<main>") == 1


def _tables(page: str) -> list[str]:
    return re.findall(r"<table.*?</table>", page, re.S)


def test_every_html_table_has_a_caption_and_scoped_headers(demo):
    pages = [demo["reports"] / "local_area_profiles.html", *sorted((demo["reports"] / "profiles").glob("*.html"))[:5],
             demo["published"] / "validation.html"]  # fmt: skip
    for path in pages:
        for table in _tables(path.read_text()):
            assert "<caption>" in table, path.name
            headers = re.findall(r"<th\b[^>]*>", table)
            assert headers and all("scope=" in h for h in headers), (path.name, headers[:3])


def test_each_profile_shows_the_area_its_region_and_england_for_every_year_as_published(demo):
    rows = query(
        demo,
        "select a.geography_code, a.period_label, a.value_pct, r.value_pct, e.value_pct from marts.phof_c20 a "
        "join marts.phof_c20 e on e.geography_type = 'england' and e.period_type = a.period_type "
        "and e.period_start = a.period_start left join marts.phof_c20 r on r.geography_code = a.parent_region_code "
        "and r.period_type = a.period_type and r.period_start = a.period_start where a.geography_type = "
        "'local_authority' and a.period_type = 'financial_year' order by a.geography_code, a.period_start",
    )
    pct = lambda v: "[c]" if v is None else f"{v:.1f}"  # noqa: E731
    checked = 0
    for code, label, area, region, england in rows:
        path = demo["reports"] / "profiles" / f"{code}.html"
        if not path.exists():
            continue
        row = re.search(rf'<tr><th scope="row">{re.escape(label)}</th>(.*?)</tr>', path.read_text(), re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[2] in (pct(area), "[x]"), (code, label, cells)
        assert cells[6].split(" (")[0] == pct(region) and cells[7].split(" (")[0] == pct(england), (code, label)
        checked += 1
    assert checked > 20
    # the line breaks at a hidden year: an area with a hidden year and shown years either side draws no line across it
    page = next(p.read_text() for p in (demo["reports"] / "profiles").glob("*.html") if "[c]" in p.read_text())
    assert "Definition" in page and "Numerator" in page and "Recent trend" in page
    assert "recording_issues_summary" not in page  # readers are told who to ask, not a table's name


def test_the_profiles_pdf_says_its_language_and_has_a_bookmark_per_area(demo):
    reader = PdfReader(demo["reports"] / "local_area_profiles.pdf")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and reader.metadata.title.startswith("Local-area profiles")
    names = [o.title for o in reader.outline]
    areas = sorted((demo["reports"] / "profiles").glob("*.html"))
    assert len(names) == len(areas) == len(reader.pages) // 3
    assert [reader.get_destination_page_number(o) for o in reader.outline] == list(range(0, len(reader.pages), 3))
    first = reader.pages[0].extract_text()
    assert names[0] in first and "Compared" in first and "England %" in first
    third = reader.pages[2].extract_text()
    assert f"{names[0]}: time to treatment and recording" in third and "If recording were complete" in third


def _closed(demo) -> tuple:
    """The latest financial year England's row does not mark provisional: (period_start, label)."""
    notes = rules_from_project().value_notes
    provisional = [notes[k] for k in ("provisional", "all_pending", "partial_period")]
    rows = query(
        demo,
        "select period_start, period_label, coalesce(value_note, '') from marts.phof_c20 where geography_type = "
        "'england' and period_type = 'financial_year' and denominator > 0 order by period_start",
    )
    return [(start, label) for start, label, note in rows if not any(n in note for n in provisional)][-1]


def _section(page: str, heading: str) -> str:
    """The HTML of a profile from the <h2> starting with `heading` to the next <h2>."""
    return re.search(rf"<h2>{re.escape(heading)}.*?(?=<h2>)", page, re.S).group(0)


def test_each_profile_shows_time_to_treatment_as_published(demo):
    start, label = _closed(demo)
    rows = query(
        demo,
        "select a.geography_code, a.day, a.started_pct, a.lower_ci95_pct, a.upper_ci95_pct, a.value_note, "
        "r.started_pct, e.started_pct from marts.time_to_treatment a join marts.time_to_treatment e "
        "on e.geography_type = 'england' and e.period_start = a.period_start and e.day = a.day "
        "left join marts.time_to_treatment r on r.geography_code = a.parent_region_code "
        "and r.period_start = a.period_start and r.day = a.day where a.geography_type = 'local_authority' "
        "and a.period_type = 'financial_year' and a.period_start = ? order by a.geography_code, a.day",
        start,
    )
    pct = lambda v: "[c]" if v is None else f"{v:.1f}"  # noqa: E731 (England and the regions: NULL only when hidden)
    checked = hidden = 0
    for code, day, value, lower, upper, note, region, england in rows:
        path = demo["reports"] / "profiles" / f"{code}.html"
        if not path.exists():
            continue
        table = _section(path.read_text(), f"How long people wait for treatment, {label}")
        row = re.search(rf'<tr><th scope="row">{day}</th>(.*?)</tr>', table, re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if value is None:  # hidden ([c]) when the note says a count is suppressed; [x] when, say, none was released
            area = "[c]" if "uppressed" in (note or "") else "[x]"
        else:
            area = f"{value:.1f} ({lower:.1f}–{upper:.1f})" if lower is not None else f"{value:.1f}"
        assert cells[0] == area and cells[1].split(" (")[0] == pct(region), (code, day, cells)
        assert cells[2].split(" (")[0] == pct(england), (code, day, cells)
        checked, hidden = checked + 1, hidden + (value is None)
    # the sample is small: most areas' shares are hidden, their regions' and England's shown
    assert checked > 100 and hidden > 0 and any(r[6] is not None for r in rows)


def test_each_profile_says_the_rate_if_recording_were_complete_as_published_and_never_a_hidden_one(demo):
    start, label = _closed(demo)
    rows = query(
        demo,
        "select geography_code, value_pct, adjusted_value_pct, difference_pct_points, coalesce(value_note, '') "
        "from marts.c20_recording_adjusted "
        "where geography_type = 'local_authority' and period_type = 'financial_year' and period_start = ?",
        start,
    )
    # the warehouse's own figures, before disclosure control: a hidden one must never reach the page
    con = duckdb.connect(str(demo["root"] / "wh" / "continuity.duckdb"), read_only=True)
    try:
        truth = dict(con.execute(
            "select geography_code, adjusted_value_pct from marts.c20_recording_adjusted where geography_type = "
            "'local_authority' and provider_role = 'all' and period_type = 'financial_year' and period_start = ?",
            [start],
        ).fetchall())  # fmt: skip
    finally:
        con.close()
    england = query(
        demo,
        "select value_pct, adjusted_value_pct, difference_pct_points, releases_fix_would_engage "
        "from marts.c20_recording_adjusted where geography_type = 'england' and period_type = 'financial_year' "
        "and period_start = ?",
        start,
    )[0]
    expected = ["[c]" if v is None else f"{v:.1f}" if isinstance(v, float) else f"{v:,}" for v in england]
    shown = hidden = 0
    for code, value, adjusted, points, note in rows:
        path = demo["reports"] / "profiles" / f"{code}.html"
        if not path.exists():
            continue
        section = _section(path.read_text(), f"If recording were complete, {label}")
        row = re.search(r'<tr><th scope="row">England</th>(.*?)</tr>', section, re.S).group(1)
        assert [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][
            :4
        ] == expected
        words = section.split("<table")[0]
        if adjusted is not None:
            n = int(adjusted / 10 + 0.5)  # about n in 10, half up: 56.0% is about 6 in 10
            assert f"{value:.1f}% of people released" in words and (f"about {n} in 10" in words or n == 0), code
            assert f"{adjusted:.1f}%" in words and f"{points:.1f} points" in words, code
            shown += 1
        elif "uppressed" in note:
            assert "not shown, to protect small numbers" in words, code
            # no percentage but the published rate, when that is shown; never the hidden one
            assert re.findall(r"\d+\.\d%", words) == ([f"{value:.1f}%"] if value is not None else []), code
            assert truth[code] is None or truth[code] == value or f"{truth[code]:.1f}" not in words, code
            hidden += 1
        else:  # no value for another reason (no releases that year): said, with its note
            assert "not available" in words and note in words, code
    # the sample is small: most areas' rates are hidden (the words of a shown one: tests/pipelines/reports)
    assert hidden > 10 and shown == sum(
        r[2] is not None for r in rows if (demo["reports"] / "profiles" / f"{r[0]}.html").exists()
    )


def test_the_slide_pack_shows_england_and_every_region_waiting_as_published(demo):
    start, label = _closed(demo)
    deck = Presentation(str(demo["reports"] / "continuity_slides.pptx"))
    slide = next(s for s in deck.slides if s.shapes.title.text == f"How long people wait for treatment, {label}")
    notes = slide.notes_slide.notes_text_frame.text
    rows = query(
        demo,
        "select geography_name, day, started_pct, lower_ci95_pct, upper_ci95_pct from marts.time_to_treatment "
        "where geography_type in ('england', 'region') and period_type = 'financial_year' and period_start = ? "
        "order by geography_type, geography_name, day",
        start,
    )
    every = notes.split("\n")[-1].removeprefix("Every value (95% interval): ")
    assert {name for name, *_ in rows} == set(re.findall(r"(?:^|; )([A-Z][^:;]+): day", every))
    for name, day, value, lower, upper in rows:
        listing = re.search(rf"(?:^|; ){re.escape(name)}: (day .*?)(?:; [A-Z]|\.$)", every).group(1)
        shown = "hidden (small numbers)" if value is None else f"{value:.1f}% ({lower:.1f}% to {upper:.1f}%)"
        assert f"day {day} {shown}" in listing, (name, day)
    alts = [s._element.nvPicPr.cNvPr.get("descr", "") for s in slide.shapes if s.shape_type == 13]
    assert len(alts) == 1 and "each region against England" in alts[0]  # the chart carries alt text


def test_the_easy_read_never_breaks_a_phone_number_and_offers_contact_and_formats(demo):
    page = (demo["reports"] / "easy_read.html").read_text()
    assert "0300\u00a0123\u00a06600" in page and "0300 123" not in page
    assert "Contact us" in page and "You can ask us for this report in another format." in page
    assert "NDTMS" not in page and "nDelius" not in page
    text = " ".join(p.extract_text() for p in PdfReader(demo["reports"] / "easy_read.pdf").pages)
    assert re.search(r"0300\s123\s6600", text) and "NDTMS" not in text


def test_the_validation_report_is_dated_with_its_verdict_gates_and_loads(demo):
    report = json.loads((demo["published"] / "validation.json").read_text())
    assert re.fullmatch(r"Validation report, " + LONG_DATE + ": passed", report["title"])
    assert {g["gate"] for g in report["gates"]} == {"extracts_current", "c20_change", "c20_band", "quarantine_share"}
    assert report["loads"]["extracts"] and all(x["files"] > 0 for x in report["loads"]["extracts"])
    page = (demo["published"] / "validation.html").read_text()
    assert "<h2>Publication gates</h2>" in page and "<h2>Loads and quarantine</h2>" in page


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
