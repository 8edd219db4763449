"""Render a run's reports as their readers see them, into docs/images (docs/reports.md):
LibreOffice (headless) prints the slide packs and the PRP workbook to PDF, pdftoppm turns PDF
pages into PNG, headless Chromium screenshots the HTML pages at 1280 px. Every picture in
docs/reports.md comes from one run, so they agree with each other and with the code.

Needs Debian's `chromium`, `libreoffice-impress`, `libreoffice-calc` and `poppler-utils`.

    make demo
    .venv/bin/python -m pipelines.dev.render_docs --output warehouse --area E06000004
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.contract import PROJECT_DIR

IMAGES = PROJECT_DIR / "docs" / "images"
# open slide pack: image name -> words its slide title starts with
OPEN_SLIDES = {
    "slide_national_trend": "National continuity of care",
    "slide_time_to_treatment": "How long people wait",
    "slide_funnel": "Local authorities",
    "slide_problems": "Recording problems",
    "slide_inequality": "Who starts treatment",
}
PARTNER_SLIDES = {
    "slide_flows": "Prison to local authority flows",
    "slide_attrition": "Where people are lost",
    "slide_provider_problems": "Recording problems by provider",
    "slide_er_outcomes": "Enhanced RECONNECT",
}


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=600)


def screenshot(page: Path, png: Path, height: int) -> None:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1"]
    _run(["chromium", *flags, f"--window-size=1280,{height}", f"--screenshot={png}", page.resolve().as_uri()])


def to_pdf(document: Path, folder: Path) -> Path:
    _run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(document)])
    return folder / (document.stem + ".pdf")


def page_png(pdf: Path, page: int, png: Path, dpi: int = 80) -> None:
    """PDF page `page` (1-based) as `png`."""
    stem = png.with_suffix("")
    _run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem)])


def slide_numbers(pptx: Path, wanted: dict[str, str]) -> dict[str, int]:
    """The 1-based number of the first slide whose title starts with each name's words."""
    from pptx import Presentation

    titles = [
        (s.shapes.title.text_frame.text if s.shapes.title is not None else "") for s in Presentation(str(pptx)).slides
    ]
    found = {}
    for name, start in wanted.items():
        numbers = [i for i, t in enumerate(titles, 1) if t.startswith(start)]
        if not numbers:
            raise SystemExit(f"{pptx.name}: no slide title starts with {start!r} (titles: {titles})")
        found[name] = numbers[0]
    return found


def pages_with(pdf: Path, words: str) -> list[int]:
    from pypdf import PdfReader

    return [i for i, page in enumerate(PdfReader(str(pdf)).pages, 1) if words in (page.extract_text() or "")]


def area_pages(pdf: Path, area_name: str) -> list[int]:
    """The pages of one area in local_area_profiles.pdf: from its bookmark to the next."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    starts = sorted(reader.get_destination_page_number(o) + 1 for o in reader.outline if not isinstance(o, list))
    named = [reader.get_destination_page_number(o) + 1 for o in reader.outline if getattr(o, "title", "") == area_name]
    if not named:
        raise SystemExit(f"{pdf.name}: no bookmark {area_name!r}")
    first = named[0]
    after = [s for s in starts if s > first]
    return list(range(first, (after[0] if after else len(reader.pages) + 1)))


def render(output: Path, area: str) -> list[Path]:
    import duckdb

    reports, partner = output / "reports", output / "partner" / "reports"
    con = duckdb.connect(str(output / "published" / "marts.duckdb"), read_only=True)
    try:
        [(area_name,)] = con.execute(
            "select distinct geography_name from marts.phof_c20 where geography_code = ?", [area]
        ).fetchall()
    finally:
        con.close()
    IMAGES.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pages = {
            "profile_html": (reports / "profiles" / f"{area}.html", 2600),
            "profiles_index_html": (reports / "local_area_profiles.html", 1100),
            "slides_html": (reports / "continuity_slides.html", 1000),
            "easy_read_html": (reports / "easy_read.html", 1400),
            "validation_html": (output / "published" / "validation.html", 1500),
        }
        for name, (page, height) in pages.items():
            screenshot(page, IMAGES / f"{name}.png", height)
            written.append(IMAGES / f"{name}.png")
        packs = ((reports / "continuity_slides.pptx", OPEN_SLIDES), (partner / "partner_slides.pptx", PARTNER_SLIDES))
        for pptx, wanted in packs:
            pdf = to_pdf(pptx, folder)
            for name, number in slide_numbers(pptx, wanted).items():
                page_png(pdf, number, IMAGES / f"{name}.png")
                written.append(IMAGES / f"{name}.png")
        profiles = reports / "local_area_profiles.pdf"
        names = ("profile_pdf_page", "profile_pdf_page2", "profile_pdf_page3")
        for name, page in zip(names, area_pages(profiles, area_name), strict=False):
            page_png(profiles, page, IMAGES / f"{name}.png")
            written.append(IMAGES / f"{name}.png")
        easy = reports / "easy_read.pdf"
        for name, words in (("easy_read_page", "Where to get help"), ("easy_read_contact", "Contact us")):
            page_png(easy, pages_with(easy, words)[0], IMAGES / f"{name}.png")
            written.append(IMAGES / f"{name}.png")
        workbook = next(output.glob("exports/prp/inequality_breakdowns.xlsx"))
        pdf = to_pdf(workbook, folder)
        page_png(pdf, 1, IMAGES / "excel_prp_cover.png")
        table_page = next(p for p in pages_with(pdf, "Variable") if p > 1)
        page_png(pdf, table_page, IMAGES / "excel_prp_workbook.png")
        written += [IMAGES / "excel_prp_cover.png", IMAGES / "excel_prp_workbook.png"]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="warehouse", help="the run's output folder (the demo's: warehouse)")
    parser.add_argument("--area", default="E06000004", help="the local authority whose profile is shown")
    args = parser.parse_args()
    missing = [t for t in ("chromium", "soffice", "pdftoppm") if shutil.which(t) is None]
    if missing:
        apt = "apt install chromium libreoffice-impress libreoffice-calc poppler-utils"
        raise SystemExit(f"needs {', '.join(missing)} ({apt})")
    for path in render(Path(args.output), args.area):
        print(path.relative_to(PROJECT_DIR))


if __name__ == "__main__":
    main()
