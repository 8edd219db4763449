"""A small PDF writer for the local-area profiles: a hundred and fifty pages of text and two
charts each. matplotlib lays text out glyph by glyph (about 20 microseconds a character), so
drawing those pages took most of the reports' time; here a page is a few lines of PDF
operators. Text is DejaVu Sans (regular and bold), embedded as TrueType subset to the
characters used (never Type 3), WinAnsi-encoded so it can be searched and copied; a picture
drawn once (a chart's backdrop) is stored once and shown on every page; chart marks are
vector paths. Positions are in points from the page's lower-left corner."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from pipelines.reports.charts import Mark, text_width

ENCODING = "cp1252"  # WinAnsiEncoding
DESCENT = 0.24  # below the baseline, in font sizes: matplotlib's line is `spacing` sizes high with this at its foot
BEZIER = 0.5523  # control-point distance of a quarter circle drawn as a Bezier curve
FONT_NAMES = {False: "F1", True: "F2"}


@cache
def _font_file(bold: bool) -> str:
    from matplotlib.font_manager import FontProperties, findfont

    return findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"))


def _rgb(colour: str) -> str:
    value = colour.lstrip("#")
    return " ".join(f"{int(value[i : i + 2], 16) / 255:.3f}" for i in (0, 2, 4))


def _array(values) -> str:
    return "[" + " ".join(str(v) for v in values) + "]"


def _text_string(text: str) -> str:
    """A PDF text string for any language: UTF-16BE with its byte-order mark, as hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _string(text: str) -> str:
    """A PDF literal string of WinAnsi codes; a character outside WinAnsi becomes '?'."""
    codes = text.encode(ENCODING, errors="replace")
    return "(" + "".join(chr(c) if 32 <= c < 127 and c not in b"()\\" else f"\\{c:03o}" for c in codes) + ")"


@dataclass
class Page:
    """One page's content: text, shared pictures and chart marks."""

    width: float
    height: float
    ops: list[str] = field(default_factory=list)
    used: dict[bool, set[str]] = field(default_factory=lambda: {False: set(), True: set()})
    alphas: set[float] = field(default_factory=set)

    def text(self, x: float, y: float, text: str, size: float, colour: str = "#231F20", bold: bool = False,
             align: str = "left") -> None:  # fmt: skip
        """One line with its baseline at y, starting at x (or ending at x when align='right')."""
        if align == "right":
            x -= text_width(text, size, bold)
        self.used[bold].update(text)
        self.ops.append(f"BT /{FONT_NAMES[bold]} {size} Tf {_rgb(colour)} rg {x:.2f} {y:.2f} Td {_string(text)} Tj ET")

    def lines(self, x: float, y: float, lines: list[str], size: float, spacing: float = 1.2, valign: str = "top",
              **style) -> None:  # fmt: skip
        """Lines below one another as matplotlib sets a text of several lines: y is its top
        (valign='top') or its bottom (valign='bottom')."""
        step = spacing * size
        first = y - step + DESCENT * size if valign == "top" else y + DESCENT * size + step * (len(lines) - 1)
        for i, line in enumerate(lines):
            if line:
                self.text(x, first - i * step, line, size, **style)

    def paragraph(self, x: float, top: float, text: str, size: float, width: float, spacing: float = 1.2,
                  lead: str = "", bullet: bool = False, **style) -> float:  # fmt: skip
        """`text` wrapped to `width` points below `top` (a bold `lead` starts it; a bullet hangs
        left of it); returns its bottom."""
        indent = 1.2 * size if bullet else 0
        lines = wrap(lead + text, size, width - indent)
        step = spacing * size
        for i, line in enumerate(lines):
            baseline = top - (i + 1) * step + DESCENT * size
            if i == 0 and bullet:
                self.text(x + 0.2 * size, baseline, "\u2022", size, **style)
            if i == 0 and lead:
                head = lead.rstrip()
                self.text(x + indent, baseline, head, size, bold=True, **style)
                rest = line[len(lead) :]
                self.text(x + indent + text_width(head + " ", size, True), baseline, rest, size, **style)
            else:
                self.text(x + indent, baseline, line, size, **style)
        return top - len(lines) * step

    def heading(self, x: float, top: float, text: str, size: float) -> float:
        """A bold heading line in the heading colour; returns its bottom."""
        self.text(x, top - size, text, size, colour="#005EB8", bold=True)
        return top - 1.5 * size

    def rule(self, x0: float, y0: float, x1: float, y1: float, width: float, colour: str = "#231F20") -> None:
        """A straight line."""
        self.ops.append(f"q {_rgb(colour)} RG {width} w {x0:.2f} {y0:.2f} m {x1:.2f} {y1:.2f} l S Q")

    def picture(self, name: str, box: tuple[float, float, float, float]) -> None:
        """A stored picture drawn into box (left, bottom, width, height)."""
        left, bottom, width, height = box
        self.ops.append(f"q {width:.2f} 0 0 {height:.2f} {left:.2f} {bottom:.2f} cm /{name} Do Q")

    def marks(self, marks: list[Mark], left: float, bottom: float, scale: float) -> None:
        """Chart marks (points from the chart's lower-left corner) scaled onto the page."""
        self.ops.append(f"q {scale:.5f} 0 0 {scale:.5f} {left:.2f} {bottom:.2f} cm")
        for mark in marks:
            self.ops.append(self._mark(mark))
        self.ops.append("Q")

    def _mark(self, m: Mark) -> str:
        if m.kind == "text":
            self.used[m.bold].update(m.text)
            x, y = m.xy[0]
            return (
                f"BT /{FONT_NAMES[m.bold]} {m.size} Tf {_rgb(m.colour)} rg {x:.2f} {y:.2f} Td {_string(m.text)} Tj ET"
            )
        state = ""
        if m.alpha < 1:
            self.alphas.add(m.alpha)
            state = f"/A{round(m.alpha * 100)} gs "
        dash = f"[{' '.join(str(d) for d in m.dash)}] 0 d " if m.dash else ""
        stroke = f"{state}{_rgb(m.colour)} RG {m.width} w 1 j {0 if m.dash else 2} J {dash}"
        (x0, y0), *rest = m.xy
        fill = f"{_rgb(m.fill)} rg " if m.fill else ""
        if m.kind in ("path", "polygon"):
            path = f"{x0:.2f} {y0:.2f} m " + " ".join(f"{x:.2f} {y:.2f} l" for x, y in rest)
            if m.kind == "path":
                return f"q {stroke}{path} S Q"
            return f"q {stroke}0 j {fill}{path} h {'B' if m.fill else 'S'} Q"
        return f"q {stroke}{fill}{_circle(*m.xy[0], m.radius)} {'B' if m.fill else 'S'} Q"


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of `text` no wider than `width` points in DejaVu Sans at `size` (a word is never
    split, and a no-break space never breaks)."""
    space = text_width(" ", size, bold)
    lines, line, used = [], [], 0.0
    for word in text.split(" "):
        w = text_width(word, size, bold)
        if line and used + space + w > width:
            lines.append(" ".join(line))
            line, used = [word], w
        else:
            used += (space if line else 0) + w
            line.append(word)
    return [*lines, " ".join(line)] if line else lines or [""]


def _circle(x: float, y: float, r: float) -> str:
    k = BEZIER * r
    return (f"{x + r:.2f} {y:.2f} m {x + r:.2f} {y + k:.2f} {x + k:.2f} {y + r:.2f} {x:.2f} {y + r:.2f} c "
            f"{x - k:.2f} {y + r:.2f} {x - r:.2f} {y + k:.2f} {x - r:.2f} {y:.2f} c "
            f"{x - r:.2f} {y - k:.2f} {x - k:.2f} {y - r:.2f} {x:.2f} {y - r:.2f} c "
            f"{x + k:.2f} {y - r:.2f} {x + r:.2f} {y - k:.2f} {x + r:.2f} {y:.2f} c h")  # fmt: skip


class Document:
    """Pages in order, pictures stored once, written to `path` by `close`."""

    def __init__(self, path: Path, metadata: dict[str, str | datetime], language: str = "en-GB"):
        self.path, self.metadata, self.language = path, metadata, language
        self.objects: list[bytes | None] = []
        self.pages: list[Page] = []
        self.pictures: dict[str, int] = {}
        self.bookmarks: list[tuple[str, Page]] = []

    def bookmark(self, title: str, page: Page) -> None:
        """An entry of the document outline (the reader's bookmarks pane) that opens `page`."""
        self.bookmarks.append((title, page))

    def _add(self, body: bytes | None = None) -> int:
        self.objects.append(body)
        return len(self.objects)

    def _stream(self, data: bytes, entries: str = "") -> bytes:
        packed = zlib.compress(data, 6)
        return (
            f"<< {entries} /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"
        )

    def picture(self, name: str, rgb: bytes, pixels: tuple[int, int]) -> str:
        """Store an RGB picture once under `name`; pages draw it with Page.picture."""
        if name not in self.pictures:
            entries = f"/Type /XObject /Subtype /Image /Width {pixels[0]} /Height {pixels[1]} " \
                      "/ColorSpace /DeviceRGB /BitsPerComponent 8"  # fmt: skip
            self.pictures[name] = self._add(self._stream(rgb, entries))
        return name

    def page(self, width: float, height: float) -> Page:
        page = Page(width, height)
        self.pages.append(page)
        return page

    def close(self) -> None:
        """Fonts (subset to what the pages use), pages, catalogue, metadata and cross-reference."""
        used = {bold: set().union(*(p.used[bold] for p in self.pages)) for bold in (False, True)}
        fonts = {bold: self._font(bold, used[bold]) for bold in (False, True)}
        alphas = set().union(*(p.alphas for p in self.pages))
        resources = (
            "<< /Font << " + " ".join(f"/{FONT_NAMES[b]} {n} 0 R" for b, n in fonts.items()) + " >> "
            "/XObject << " + " ".join(f"/{k} {n} 0 R" for k, n in self.pictures.items()) + " >> "
            "/ExtGState << " + " ".join(f"/A{round(a * 100)} << /CA {a} /ca {a} >>" for a in sorted(alphas)) + " >> >>"
        )
        shared = self._add(resources.encode())
        parent = self._add()
        kids = [self._page(page, parent, shared) for page in self.pages]
        pages = "<< /Type /Pages /Count {} /Kids [{}] >>".format(len(kids), " ".join(f"{k} 0 R" for k in kids))
        self.objects[parent - 1] = pages.encode()
        numbers = {id(page): kid for page, kid in zip(self.pages, kids, strict=True)}
        outline = self._outline(numbers)
        entries = (
            f"/Type /Catalog /Pages {parent} 0 R /Lang {_text_string(self.language)} "
            "/ViewerPreferences << /DisplayDocTitle true >>"
            + (f" /Outlines {outline} 0 R /PageMode /UseOutlines" if outline else "")
        )
        catalog = self._add(f"<< {entries} >>".encode())
        info = self._add(self._info())
        self._write(catalog, info)

    def _outline(self, numbers: dict[int, int]) -> int | None:
        """The outline: one top-level item per bookmark, in order, each opening its page."""
        if not self.bookmarks:
            return None
        root = self._add()
        items = [self._add() for _ in self.bookmarks]
        for i, ((title, page), number) in enumerate(zip(self.bookmarks, items, strict=True)):
            links = f"/Parent {root} 0 R" + (f" /Prev {items[i - 1]} 0 R" if i else "")
            links += f" /Next {items[i + 1]} 0 R" if i + 1 < len(items) else ""
            target = f"/Dest [{numbers[id(page)]} 0 R /XYZ null null null]"
            self.objects[number - 1] = f"<< /Title {_text_string(title)} {links} {target} >>".encode()
        self.objects[root - 1] = (
            f"<< /Type /Outlines /First {items[0]} 0 R /Last {items[-1]} 0 R /Count {len(items)} >>".encode()
        )
        return root

    def _page(self, page: Page, parent: int, resources: int) -> int:
        content = self._add(self._stream("\n".join(page.ops).encode("latin-1")))
        box = f"[0 0 {page.width:.2f} {page.height:.2f}]"
        entries = f"/Parent {parent} 0 R /MediaBox {box} /Resources {resources} 0 R /Contents {content} 0 R"
        return self._add(f"<< /Type /Page {entries} >>".encode())

    def _info(self) -> bytes:
        def value(v):
            if isinstance(v, datetime):
                return f"(D:{v:%Y%m%d%H%M%S}Z)"
            return "(" + str(v).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

        return ("<< " + " ".join(f"/{k} {value(v)}" for k, v in self.metadata.items()) + " >>").encode(
            "latin-1", errors="replace"
        )

    def _font(self, bold: bool, characters: set[str]) -> int:
        """A TrueType font with WinAnsi widths and its file, subset to `characters`."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        full = TTFont(_font_file(bold), lazy=True)
        scale, cmap, metrics = 1000 / full["head"].unitsPerEm, full.getBestCmap(), full["hmtx"].metrics
        widths = []
        for code in range(32, 256):
            char = bytes([code]).decode(ENCODING, errors="ignore")
            glyph = cmap.get(ord(char)) if char else None
            widths.append(round(metrics[glyph][0] * scale) if glyph else 0)
        head, os2 = full["head"], full["OS/2"]
        bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        options = subset.Options(notdef_outline=True, name_IDs=["*"], hinting=False, ignore_missing_unicodes=True)
        options.drop_tables += ["FFTM"]  # FontForge's timestamps: no use in a PDF
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(characters) or " ")
        font = TTFont(_font_file(bold))
        subsetter.subset(font)
        data = io.BytesIO()
        font.save(data)
        name = ("BBBBBB+" if bold else "AAAAAA+") + ("DejaVuSans-Bold" if bold else "DejaVuSans")
        file = self._add(self._stream(data.getvalue(), f"/Length1 {len(data.getvalue())}"))
        cap = getattr(os2, "sCapHeight", 0.73 * head.unitsPerEm)  # DejaVu's OS/2 table is too old to say
        descriptor = self._add(
            f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox {_array(bbox)} /ItalicAngle 0 "
            f"/Ascent {round(os2.sTypoAscender * scale)} /Descent {round(os2.sTypoDescender * scale)} "
            f"/CapHeight {round(cap * scale)} /StemV {140 if bold else 80} /FontFile2 {file} 0 R >>".encode()
        )
        return self._add(
            f"<< /Type /Font /Subtype /TrueType /BaseFont /{name} /FirstChar 32 /LastChar 255 "
            f"/Widths {_array(widths)} /FontDescriptor {descriptor} 0 R /Encoding /WinAnsiEncoding >>".encode()
        )

    def _write(self, catalog: int, info: int) -> None:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
        start = out.tell()
        out.write(f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode())
        out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
        out.write(f"trailer\n<< /Size {len(self.objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
                  f"startxref\n{start}\n%%EOF\n".encode())  # fmt: skip
        self.path.write_bytes(out.getvalue())
