"""The profiles' PDF writer and the marks drawn on charts drawn once: what a reader and a PDF
reader get from them."""

from datetime import UTC, datetime

from pypdf import PdfReader

from pipelines.reports import pdf
from pipelines.reports.charts import Backdrop, Drawing, Mark

RED = "#DA291C"


def _document(path):
    document = pdf.Document(path, {"Title": "Two pages", "Author": "Tests", "CreationDate": datetime.now(UTC)})
    picture = document.picture("P", bytes([255, 0, 0] * 4), (2, 2))  # 2 x 2 red pixels, RGB
    for number in (1, 2):
        page = document.page(200, 100)
        page.text(10, 80, f"Page {number}: Middlesbrough", 12)
        page.text(190, 60, "Synthetic data", 10, bold=True, align="right")
        page.picture(picture, (10, 10, 40, 40))
        page.marks([Mark("circle", ((5, 5),), RED, width=1, radius=3), Mark("path", ((0, 0), (9, 9)), RED, 1, alpha=0.8)],
                   60, 10, 2)  # fmt: skip
    document.close()


def test_pages_say_their_text_in_embedded_truetype_and_share_one_picture(tmp_path):
    _document(tmp_path / "two.pdf")
    reader = PdfReader(tmp_path / "two.pdf")
    assert reader.metadata.title == "Two pages" and reader.metadata.author == "Tests"
    assert reader.metadata.creation_date is not None
    assert [p.extract_text().split("\n")[0] for p in reader.pages] == ["Page 1: Middlesbrough", "Page 2: Middlesbrough"]
    assert all("Synthetic data" in p.extract_text() for p in reader.pages)
    pictures = {p["/Resources"]["/XObject"].raw_get("/P").idnum for p in reader.pages}
    assert len(pictures) == 1  # stored once, drawn on both pages
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        assert font["/Subtype"] == "/TrueType" and "/FontFile2" in font["/FontDescriptor"]
    assert reader.pages[0]["/Resources"]["/ExtGState"]["/A80"]["/CA"] == 0.8  # the 80% opaque path


def test_lines_sit_where_matplotlib_sets_them():
    page = pdf.Page(200, 100)
    # 10 pt, spacing 1.2: each line 12 pt high with its baseline 2.4 pt (0.24 sizes) above its foot;
    # top at 100: baselines at 100 - 12 + 2.4 = 90.4 and 78.4
    page.lines(0, 100, ["one", "two"], 10)
    # bottom at 20: the last baseline at 22.4, the one above at 34.4
    page.lines(0, 20, ["three", "four"], 10, valign="bottom")
    assert [op.split(" Td")[0].split()[-1] for op in page.ops] == ["90.40", "78.40", "34.40", "22.40"]


def test_strings_are_escaped_and_winansi_encoded():
    # "(" ")" "\" escaped; é is 0xE9 (351 octal) and the euro sign 0x80 (200) in WinAnsi; a tick is not in it
    assert pdf._string("a(b)\\ é€✓") == "(a\\050b\\051\\134 \\351\\200?)"


def test_marks_go_on_top_of_the_backdrop_measured_down_from_the_top_in_svg():
    backdrop = Backdrop('<svg height="100pt"><rect/></svg>\n', b"", (0, 0), (200, 100))
    drawing = Drawing(backdrop, [Mark("circle", ((10, 20),), RED, width=1, fill=None, radius=3),
                                 Mark("text", ((5, 90),), RED, text="A & B", size=14, bold=True)])  # fmt: skip
    svg = drawing.svg()
    assert svg.startswith('<svg height="100pt"><rect/><g class="marks">') and svg.endswith("</g></svg>\n")
    assert 'cx="10.00" cy="80.00" r="3.00" fill="none"' in svg  # 100 - 20 = 80 from the top
    assert 'y="10.00"' in svg and ">A &amp; B</text>" in svg and 'font-weight="bold"' in svg


def test_the_document_says_its_language_and_has_a_bookmark_per_area(tmp_path):
    document = pdf.Document(tmp_path / "b.pdf", {"Title": "Profiles"}, language="en-GB")
    for name in ("Hartlepool", "Middlesbrough"):
        first = document.page(200, 100)
        first.text(10, 50, name, 12)
        document.bookmark(name, first)
        document.page(200, 100).text(10, 50, f"{name} continued", 12)
    document.close()
    reader = PdfReader(tmp_path / "b.pdf")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert [(o.title, reader.get_destination_page_number(o)) for o in reader.outline] == [
        ("Hartlepool", 0),
        ("Middlesbrough", 2),
    ]


def test_a_paragraph_wraps_at_spaces_only_and_hangs_its_bullet():
    # "0300 123 6600" joined by no-break spaces is one word: it never breaks
    number = "\u00a0".join(["0300", "123", "6600"])
    for width in (40, 60, 90, 200):
        lines = pdf.wrap(f"call FRANK on {number} today", 10, width)
        assert [line for line in lines if "0300" in line or "6600" in line][0].count(number) == 1, lines
    page = pdf.Page(200, 100)
    bottom = page.paragraph(0, 100, "one two", 10, width=200, bullet=True)
    assert bottom == 88  # one line of 10 pt at spacing 1.2
    assert (
        "\\225" in page.ops[0] and page.ops[1].split(" Td")[0].split()[-2] == "12.00"
    )  # bullet, then text at 1.2 sizes
