"""Every chart the reports draw, in one place, so the slide pack, the local-area profiles and
the easy-read share one look: the NHS palette, DejaVu Sans at a readable size, and fonts
embedded as TrueType (never Type 3) when a figure goes into a PDF.

Charts only draw what they are given: labels, comparisons and funnel positions come from
the open publication's tables (models/publication/), never from a rule re-applied here.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

COLOURS = {
    "main": "#005EB8",  # NHS blue
    "light": "#41B6E6",
    "grey": "#768692",
    "pale": "#D9DEE1",
    "warn": "#DA291C",  # significantly worse
    "good": "#009639",  # significantly better
    "amber": "#ED8B00",
    "black": "#231F20",
}
# how a comparison label of the publication is coloured (the labels are the table's, not ours)
COMPARISON_COLOURS = {"better": COLOURS["good"], "worse": COLOURS["warn"], "similar": COLOURS["amber"]}


def setup():
    """matplotlib, headless, with fonts a PDF embeds as TrueType (fonttype 42) and a base size
    that stays readable when a chart is shrunk onto a slide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "pdf.fonttype": 42,
            "svg.hashsalt": "continuity",  # the same SVG ids on every run: the same chart, the same file
            "ps.fonttype": 42,
            "font.family": "DejaVu Sans",
            "font.size": 14,
            "axes.titlesize": 15,
            "axes.labelsize": 14,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "legend.fontsize": 13,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def png(figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes, then closed (charts are drawn by the hundred for profiles)."""
    plt = setup()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()


def colour_of(comparison: str | None) -> str:
    """The colour of a published comparison label ('Better', 'Similar', 'Worse', ...)."""
    text = (comparison or "").lower()
    return next((c for word, c in COMPARISON_COLOURS.items() if word in text), COLOURS["grey"])


@dataclass
class Series:
    """One line of a trend chart: a name and a value with its interval per period (None where
    the publication shows no value)."""

    name: str
    values: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None
    colour: str = COLOURS["main"]
    markers: Sequence[str] | None = None  # a colour per point, e.g. from the England comparison


def _axis_top(series: Sequence[Series]) -> float:
    highest = max((v for s in series for v in [*(s.upper or []), *s.values] if v is not None), default=50)
    return min(100.0, max(10.0, 10 * (int(highest // 10) + 2)))


@dataclass(frozen=True)
class Mark:
    """A shape placed on a chart drawn once, in points from the chart's lower-left corner:
    a "path" (a line through xy), a "circle" (centre xy[0]) or a "text" (baseline start xy[0])."""

    kind: str
    xy: tuple[tuple[float, float], ...]
    colour: str
    width: float = 0.0  # line width, points
    fill: str | None = None
    radius: float = 0.0
    alpha: float = 1.0
    text: str = ""
    size: float = 0.0
    bold: bool = False


@dataclass(frozen=True)
class Backdrop:
    """What every area's chart shares, drawn once: SVG (text as shapes) for the HTML pages,
    and RGB pixels for the PDF, which draws it once and shows it on every page."""

    svg: str
    rgb: bytes
    pixels: tuple[int, int]  # width, height
    size: tuple[float, float]  # width, height in points


@dataclass(frozen=True)
class Drawing:
    """A chart: its backdrop and the marks of one area on it."""

    backdrop: Backdrop
    marks: list[Mark]

    def svg(self) -> str:
        head, _, tail = self.backdrop.svg.rpartition("</svg>")
        return head + svg_marks(self.marks, self.backdrop.size[1]) + "</svg>" + tail


def backdrop(figure, dpi: int = 150) -> Backdrop:
    """A figure drawn once as SVG and as pixels (dpi 150: sharp when shrunk onto a page)."""
    import numpy as np

    svg, raw = io.BytesIO(), io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None})
    figure.savefig(raw, format="rgba", dpi=dpi)
    width, height = figure.get_size_inches()
    pixels = (round(width * dpi), round(height * dpi))
    rgba = np.frombuffer(raw.getvalue(), dtype=np.uint8).reshape(pixels[1], pixels[0], 4)
    return Backdrop(svg.getvalue().decode(), rgba[:, :, :3].tobytes(), pixels, (width * 72, height * 72))


def _points(ax, x: float, y: float) -> tuple[float, float]:
    """Data coordinates of `ax` in points from the figure's lower-left corner (its scales are
    linear: one affine matrix, read once per axes)."""
    (a, b, c), (d, e, f), _ = _matrix(ax)
    return a * x + b * y + c, d * x + e * y + f


@lru_cache(maxsize=16)  # a few canvases a run; bounded, as a long-lived process runs many
def _matrix(ax):
    import numpy as np

    to_points = np.diag([72 / ax.figure.dpi, 72 / ax.figure.dpi, 1.0])
    return (to_points @ ax.transData.get_matrix()).tolist()


@cache
def _font(bold: bool):
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return get_font(findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")))


@lru_cache(maxsize=4096)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` in DejaVu Sans at `size` points, in points."""
    font = _font(bold)
    font.set_size(size, 72)
    font.set_text(text)
    return font.get_width_height()[0] / 64


def svg_marks(marks: Sequence[Mark], height: float) -> str:
    """Marks as SVG elements (y measured down from the top, as SVG measures it)."""
    out = []
    for m in marks:
        xy = [(x, height - y) for x, y in m.xy]
        opacity = f' opacity="{m.alpha}"' if m.alpha < 1 else ""
        if m.kind == "path":
            points = " ".join(f"{x:.2f},{y:.2f}" for x, y in xy)
            out.append(f'<polyline points="{points}" fill="none" stroke="{m.colour}" stroke-width="{m.width}" '
                       f'stroke-linejoin="round" stroke-linecap="square"{opacity}/>')  # fmt: skip
        elif m.kind == "circle":
            out.append(f'<circle cx="{xy[0][0]:.2f}" cy="{xy[0][1]:.2f}" r="{m.radius:.2f}" fill="{m.fill or "none"}" '
                       f'stroke="{m.colour}" stroke-width="{m.width}"{opacity}/>')  # fmt: skip
        else:
            weight = ' font-weight="bold"' if m.bold else ""
            out.append(f'<text x="{xy[0][0]:.2f}" y="{xy[0][1]:.2f}" font-family="DejaVu Sans, Verdana, sans-serif" '
                       f'font-size="{m.size}" fill="{m.colour}"{weight}>{html.escape(m.text)}</text>')  # fmt: skip
    return '<g class="marks">' + "".join(out) + "</g>"


def trend(periods: Sequence[str], series: Sequence[Series], provisional: set[str], size=(9, 4.6),
          dpi: int = 110) -> bytes:  # fmt: skip
    """Rate by period with 95% intervals, every period on the axis, provisional ones marked
    with a hatched band and '(provisional)' under the label."""
    plt = setup()
    fig, ax = plt.subplots(figsize=size)
    xs = list(range(len(periods)))
    for offset, s in enumerate(series):
        shift = (offset - (len(series) - 1) / 2) * 0.08
        points = [(x + shift, v, lo, hi, i) for i, (x, v, lo, hi) in enumerate(_rows(xs, s)) if v is not None]
        if not points:
            continue
        ax.plot([p[0] for p in points], [p[1] for p in points], "-", color=s.colour, lw=2, label=s.name)
        for x, v, lo, hi, i in points:
            if lo is not None and hi is not None:
                ax.plot([x, x], [lo, hi], color=s.colour, lw=1.2, alpha=0.8)
            face = s.markers[i] if s.markers else s.colour
            ax.plot([x], [v], "o", ms=8, color=face, markeredgecolor=s.colour, markeredgewidth=1.5)
    _trend_axes(ax, periods, provisional, _axis_top(series))
    ax.legend(loc="upper left", ncols=min(3, len(series)), frameon=False)
    return png(fig, dpi)


def _rows(xs, s: Series):
    lower = s.lower or [None] * len(xs)
    upper = s.upper or [None] * len(xs)
    return zip(xs, s.values, lower, upper, strict=True)


class TrendCanvas:
    """The local-area profiles' trend chart, for a hundred and fifty areas without drawing a
    hundred and fifty figures: what every area shares (periods, provisional bands, axis) is
    drawn once per axis top; each area's lines, intervals, markers and legend are marks on it,
    placed as `trend` would draw them (same sizes, offsets and colours)."""

    def __init__(self, periods: Sequence[str], provisional: set[str], size=(9, 4.2)):
        self.periods, self.provisional, self.size = list(periods), provisional, size
        self._frames: dict[float, tuple[object, Backdrop]] = {}

    def _frame(self, top: float):
        if top not in self._frames:
            plt = setup()
            fig, ax = plt.subplots(figsize=self.size)
            _trend_axes(ax, self.periods, self.provisional, top)
            self._frames[top] = (ax, backdrop(fig))
            plt.close(fig)
        return self._frames[top]

    def draw(self, series: Sequence[Series]) -> Drawing:
        ax, frame = self._frame(_axis_top(series))
        marks, shown = [], []
        for offset, s in enumerate(series):
            shift = (offset - (len(series) - 1) / 2) * 0.08
            drawn = _series_marks(ax, s, shift)
            marks += drawn
            shown += [s] if drawn else []
        return Drawing(frame, marks + _legend_marks(ax, shown))


def _trend_axes(ax, periods: Sequence[str], provisional: set[str], top: float) -> None:
    """The axis of a trend chart: every period, provisional ones hatched and labelled."""
    for i, period in enumerate(periods):
        if period in provisional:
            ax.axvspan(i - 0.45, i + 0.45, color=COLOURS["pale"], alpha=0.5, hatch="//", lw=0)
    ax.set_xticks(range(len(periods)), [f"{p}\n(provisional)" if p in provisional else p for p in periods])
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.set_ylim(0, top)
    ax.set_ylabel("% started treatment")
    ax.grid(axis="y", alpha=0.3)
    ax.figure.subplots_adjust(left=0.12, right=0.98, top=0.97, bottom=0.2)


def _series_marks(ax, s: Series, shift: float) -> list[Mark]:
    """A series as `trend` draws it: the line (2 pt), each interval (1.2 pt, 80% opaque) and
    each value's dot (8 pt, its face the point's colour)."""
    points = [(x + shift, v, lo, hi, i) for i, (x, v, lo, hi) in enumerate(_rows(range(len(s.values)), s))
              if v is not None]  # fmt: skip
    if not points:
        return []
    marks = [Mark("path", tuple(_points(ax, x, v) for x, v, *_ in points), s.colour, width=2)]
    for x, v, lo, hi, i in points:
        if lo is not None and hi is not None:
            marks.append(Mark("path", (_points(ax, x, lo), _points(ax, x, hi)), s.colour, width=1.2, alpha=0.8))
        face = s.markers[i] if s.markers else s.colour
        marks.append(Mark("circle", (_points(ax, x, v),), s.colour, width=1.5, fill=face, radius=4))
    return marks


def _legend_marks(ax, series: Sequence[Series], size: float = 13) -> list[Mark]:
    """The legend `trend` draws (upper left, one row, no frame): a line and a name per series,
    spaced as matplotlib spaces them (in font sizes: border 0.9, handle 2, gap 0.8, column 2)."""
    k = 72 / ax.figure.dpi
    x, top = ax.bbox.x0 * k + 0.9 * size, ax.bbox.y1 * k - 0.9 * size
    baseline, marks = top - 0.95 * size, []
    for s in series:
        marks.append(Mark("path", ((x, baseline + 0.35 * size), (x + 2 * size, baseline + 0.35 * size)), s.colour,
                          width=2))  # fmt: skip
        marks.append(Mark("text", ((x + 2.8 * size, baseline),), COLOURS["black"], text=s.name, size=size))
        x += 2.8 * size + text_width(s.name, size) + 2 * size
    return marks


def funnel(points: list[dict], england: float, size=(9, 4.8)) -> bytes:
    """A funnel plot from the funnel mart (see FunnelCanvas)."""
    canvas = FunnelCanvas(points, england, size)
    return canvas.close()


class FunnelCanvas:
    """A funnel plot from the funnel mart: each point's denominator and value, the published
    95% and 99.8% limits drawn through the points, outliers (position_998 not 'inside')
    labelled by name. Drawn once; `ringed` gives the plot with one area ringed and named, for
    the local-area profiles: the ring and the name are marks on the plot drawn once, not a
    hundred and fifty funnels."""

    def __init__(self, points: list[dict], england: float, size=(9, 4.8)):
        plt = setup()
        self.fig, ax = plt.subplots(figsize=size)
        self.ax, self.points = ax, points
        curve = sorted(points, key=lambda p: p["denominator"])
        dens = [p["denominator"] for p in curve]
        for level, style, label in (("95", "--", "95% limits"), ("998", ":", "99.8% limits")):
            ax.plot(dens, [p[f"upper_limit_{level}_pct"] for p in curve], style, color=COLOURS["grey"], label=label)
            ax.plot(dens, [p[f"lower_limit_{level}_pct"] for p in curve], style, color=COLOURS["grey"])
        ax.axhline(england, color=COLOURS["black"], lw=1.2, label=f"England {england:.1f}%")
        colours = [_position_colour(p) for p in points]
        ax.scatter([p["denominator"] for p in points], [p["value_pct"] for p in points], s=28, c=colours, zorder=3)
        for p in points:
            if p["position_998"] != "inside":
                ax.annotate(p["geography_name"], (p["denominator"], p["value_pct"]),
                            textcoords="offset points", xytext=(6, 4), zorder=4)  # fmt: skip
        ax.set_xlabel("Releases judged (denominator, as published)")
        ax.set_ylabel("% started treatment")
        ax.set_ylim(0, 105)
        ax.grid(alpha=0.2)
        ax.legend(loc="lower right", frameon=False)
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.96, bottom=0.14)
        self._backdrop: Backdrop | None = None

    def ringed(self, name: str) -> Drawing:
        """The plot with `name` ringed (as a scatter ring of size 220) and labelled in bold."""
        if self._backdrop is None:
            self._backdrop = backdrop(self.fig)
        marks = []
        for p in (p for p in self.points if p["geography_name"] == name):
            x, y = _points(self.ax, p["denominator"], p["value_pct"])
            marks += [Mark("circle", ((x, y),), COLOURS["black"], width=2.5, radius=220**0.5 / 2),
                      Mark("text", ((x + 8, y - 16),), COLOURS["black"], text=name, size=14, bold=True)]  # fmt: skip
        return Drawing(self._backdrop, marks)

    def close(self) -> bytes:
        return png(self.fig)

    def dispose(self) -> None:
        setup().close(self.fig)


def _position_colour(point: dict) -> str:
    """The colour of a funnel point: its published position against the 99.8% limits."""
    position = point["position_998"]
    if position == "above":
        return COLOURS["good"]
    if position == "below":
        return COLOURS["warn"]
    return COLOURS["light"]


def bars(labels: Sequence[str], counts: Sequence[int], notes: Sequence[str], xlabel: str, colour: str,
         size=(9, 4.8)) -> bytes:  # fmt: skip
    """Horizontal bars, largest at the top, each with its note written beside it."""
    plt = setup()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, counts, color=colour)
    for y, n, note in zip(ys, counts, notes, strict=True):
        ax.text(n, y, f"  {note}", va="center")
    ax.set_yticks(ys, [_wrap(label, 26) for label in labels])
    ax.set_xlim(0, max(counts, default=1) * 1.7)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    return png(fig)


def dot_intervals(panels: dict[str, list[tuple[str, float, float, float]]], reference: float | None,
                  reference_label: str, size=(10, 6.2)) -> bytes:  # fmt: skip
    """One panel per breakdown (two by two): a dot and its 95% interval per category
    (percent), with a vertical reference line (England's rate)."""
    plt = setup()
    rows_n = (len(panels) + 1) // 2
    fig, grid = plt.subplots(rows_n, 2, figsize=size, sharex=True, layout="constrained", squeeze=False)
    axes = list(grid.flat)
    for ax in axes[len(panels) :]:
        ax.axis("off")
    for ax, (title, rows) in zip(axes, panels.items(), strict=False):
        ys = list(range(len(rows)))[::-1]
        for y, (_, mean, lo, hi) in zip(ys, rows, strict=True):
            ax.plot([lo, hi], [y, y], color=COLOURS["main"], lw=2)
            ax.plot([mean], [y], "o", color=COLOURS["main"], ms=7)
        if reference is not None:
            ax.axvline(reference, color=COLOURS["black"], lw=1, ls="--", label=reference_label)
        ax.set_yticks(ys, [_wrap(c, 24) for c, *_ in rows], fontsize=11 if len(rows) > 4 else 13)
        ax.set_title(title)
        ax.set_xlim(0, 100)
        ax.grid(axis="x", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower right", frameon=False)
    fig.supxlabel("% started treatment (95% interval)")
    return png(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def grouped_bars(groups: list[str], series: dict[str, list[tuple[float | None, float | None, float | None]]],
                 size=(9, 5.2)) -> bytes:  # fmt: skip
    """Bars per group (outcome) and series (site), each with its 95% interval; the legend sits
    under the axes so it never covers a bar."""
    plt = setup()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    width = 0.8 / max(len(series), 1)
    palette = [COLOURS["main"], COLOURS["light"], COLOURS["grey"], COLOURS["amber"]]
    for i, (name, values) in enumerate(series.items()):
        xs = [g + i * width for g in range(len(groups))]
        shown = [(x, v, lo, hi) for x, (v, lo, hi) in zip(xs, values, strict=True) if v is not None]
        ax.bar([x for x, *_ in shown], [v for _, v, *_ in shown], width, label=name, color=palette[i % 4])
        for x, _, lo, hi in shown:
            if lo is not None and hi is not None:
                ax.plot([x, x], [lo, hi], color=COLOURS["black"], lw=1.2)
    ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], [_wrap(g, 16) for g in groups])
    ax.set_ylim(0, 105)
    ax.set_ylabel("% achieved (95% interval)")
    fig.legend(loc="outside lower center", ncols=1, frameon=False)
    return png(fig)


def pictogram(kind: str, filled: int = 0, label: str = "") -> bytes:
    """An easy-read picture, one per idea: 'prison', 'calendar', 'people' (filled of 10),
    'meeting', 'records', 'help', 'made'. Simple shapes, strong colours, no words but numbers."""
    plt = setup()
    from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_aspect("equal")
    ax.axis("off")
    add = ax.add_patch
    blue, pale, dark = COLOURS["main"], COLOURS["pale"], COLOURS["black"]

    def person(x: float, y: float, scale: float, colour: str) -> None:
        add(Circle((x, y + 2.3 * scale), 0.55 * scale, color=colour))
        add(FancyBboxPatch((x - 0.6 * scale, y), 1.2 * scale, 1.6 * scale, boxstyle="round,pad=0.15", color=colour))

    if kind == "prison":
        add(Rectangle((1, 1), 6, 7, color=COLOURS["grey"]))
        for x in (2, 3.2, 4.4, 5.6):
            add(Rectangle((x, 2.5), 0.35, 4.5, color=dark))
        person(8.4, 1, 1.0, blue)
    elif kind in ("calendar", "appointment"):
        add(Rectangle((1, 1), 8, 7, color="white", ec=dark, lw=3))
        add(Rectangle((1, 6.6), 8, 1.4, color=blue))
        if kind == "appointment":
            ax.plot([2.8, 4.4, 7.2], [4, 2.4, 5.6], color=COLOURS["good"], lw=10)
        else:
            ax.text(5, 3.8, label, ha="center", va="center", fontsize=34, fontweight="bold", color=dark)
    elif kind == "people":
        for i in range(10):
            person(0.9 + (i % 5) * 2.05, 5.6 if i < 5 else 1.2, 0.9, blue if i < filled else pale)
    elif kind == "meeting":
        person(3, 2, 1.5, blue)
        person(7, 2, 1.5, COLOURS["good"])
        ax.plot([4.2, 5.8], [4.6, 4.6], color=dark, lw=4)
    elif kind == "records":
        add(Rectangle((2, 0.8), 6, 8.2, color="white", ec=dark, lw=3))
        for y in (7, 5.5, 4, 2.5):
            ax.plot([3, 7], [y, y], color=COLOURS["grey"], lw=4)
        ax.text(7.3, 2.2, "!", fontsize=60, fontweight="bold", color=COLOURS["warn"], ha="center", va="center")
    elif kind == "help":
        add(FancyBboxPatch((3, 1), 4, 8, boxstyle="round,pad=0.3", color=dark))
        add(Rectangle((3.4, 2.2), 3.2, 5.8, color=COLOURS["light"]))
        add(Circle((5, 1.5), 0.35, color="white"))
    else:  # "made": a document with a tick
        add(Rectangle((2, 0.8), 6, 8.2, color="white", ec=dark, lw=3))
        ax.plot([3.3, 4.6, 7], [5, 3.4, 7], color=COLOURS["good"], lw=10)
    return png(fig, dpi=80)
