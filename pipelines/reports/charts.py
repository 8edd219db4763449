"""Every chart the reports draw, in one place, so the slide packs, the local-area profiles
and the easy-read share one look: one accessible palette, DejaVu Sans at a readable size,
and fonts embedded as TrueType (never Type 3) when a figure goes into a PDF.

The palette (`PALETTE`) gives each colour one meaning across every chart, and every colour
in it has a contrast of at least 3:1 against white (WCAG 2.1 1.4.11; a test computes it).
Colour is never the only cue: a comparison is also a shape (▲ better, ● similar, ▼ worse,
○ not compared) and a word in the tables beside the chart; the region's line is dashed with
square points, England's solid with diamonds. Legends sit outside the plotting area, so they
never cover data, and points are drawn unclipped, so an axis never cuts one.

Charts only draw what they are given: labels, comparisons and funnel positions come from
the publication's tables, never from a rule re-applied here.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

PALETTE = {  # role: colour; each colour means one thing in every chart
    "subject": "#005EB8",  # the area, group or figure the chart is about (NHS blue)
    "england": "#231F20",  # England
    "region": "#80368C",  # the area's region (purple)
    "better": "#007F3B",  # significantly better than England / above the funnel's limits
    "similar": "#B35900",  # similar to England / inside the funnel's limits
    "worse": "#DA291C",  # significantly worse than England / below the funnel's limits
    "limits": "#5E6B75",  # a funnel's control limits (dashed 95%, dotted 99.8%)
}
# colours that carry no meaning of their own: page text, and the pale band behind a
# provisional period (always hatched and labelled "(provisional)" as well)
TEXT = {"body": "#231F20", "muted": "#425563", "heading": "#005EB8", "alert": "#DA291C"}
BAND = "#D9DEE1"
WHITE = "#FFFFFF"


@dataclass(frozen=True)
class Comparison:
    """How a published comparison label is drawn: a colour, a shape and its words."""

    key: str
    words: str
    colour: str
    marker: str  # matplotlib marker: ^ triangle up, o circle, v triangle down
    hollow: bool = False


COMPARISONS = {
    "better": Comparison("better", "Better", PALETTE["better"], "^"),
    "similar": Comparison("similar", "Similar", PALETTE["similar"], "o"),
    "worse": Comparison("worse", "Worse", PALETTE["worse"], "v"),
    "not compared": Comparison("not compared", "Not compared", PALETTE["subject"], "o", hollow=True),
}


def contrast(colour: str, background: str = WHITE) -> float:
    """The WCAG 2.1 contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(value: str) -> float:
        value = value.lstrip("#")
        channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def comparison(label: str | None) -> Comparison:
    """The drawing of a published comparison label ('Better', 'Similar', 'Worse'; anything
    else, or none, is 'not compared')."""
    text = (label or "").strip().lower()
    return next((c for key, c in COMPARISONS.items() if key != "not compared" and text.startswith(key)),
                COMPARISONS["not compared"])  # fmt: skip


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
            "text.color": TEXT["body"],
            "axes.labelcolor": TEXT["body"],
            "xtick.color": TEXT["body"],
            "ytick.color": TEXT["body"],
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


@dataclass
class Series:
    """One line of a trend chart: a name and a value with its interval per period (None where
    the publication shows no value: the line breaks there)."""

    name: str
    values: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None
    colour: str = PALETTE["subject"]
    comparisons: Sequence[str | None] | None = None  # a published comparison per point: its shape and colour
    marker: str = "o"  # the series' own point shape when it has no comparisons: o, s (square), D (diamond)
    dashed: bool = False


def _axis_top(series: Sequence[Series]) -> float:
    highest = max((v for s in series for v in [*(s.upper or []), *s.values] if v is not None), default=50)
    return min(100.0, max(10.0, 10 * (int(highest // 10) + 2)))


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of the values shown, in runs of neighbours: a line is drawn within a run and
    broken where a value is hidden or missing."""
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


@dataclass(frozen=True)
class Mark:
    """A shape placed on a chart drawn once, in points from the chart's lower-left corner:
    a "path" (a line through xy, dashed when `dash` is given), a "polygon" (closed, filled
    with `fill`), a "circle" (centre xy[0]) or a "text" (baseline start xy[0])."""

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
    dash: tuple[float, ...] = ()


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


@cache  # the characters of the reports, in two weights
def _advance(char: str, bold: bool) -> float:
    """A character's advance width in DejaVu Sans, in font sizes."""
    font = _font(bold)
    font.set_size(1000, 72)
    return font.load_char(ord(char)).horiAdvance / 64 / 1000


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` in DejaVu Sans at `size` points, in points: the characters' advance
    widths, unkerned, as the profiles' PDF sets them (laying a whole line out costs ~5 ms)."""
    return size * sum(_advance(c, bold) for c in text)


def shape(marker: str, x: float, y: float, colour: str, fill: str | None, r: float = 4.5, width: float = 1.5) -> Mark:
    """A point's shape as a mark: o circle, s square, D diamond, ^ triangle up, v triangle down."""
    if marker == "o":
        return Mark("circle", ((x, y),), colour, width=width, fill=fill, radius=r)
    corners = {
        "s": ((-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)),
        "D": ((0, -1.15), (1.0, 0), (0, 1.15), (-1.0, 0)),
        "^": ((-1.05, -0.75), (1.05, -0.75), (0, 1.2)),
        "v": ((-1.05, 0.75), (1.05, 0.75), (0, -1.2)),
    }[marker]
    return Mark("polygon", tuple((x + dx * r, y + dy * r) for dx, dy in corners), colour, width=width, fill=fill)


def svg_marks(marks: Sequence[Mark], height: float) -> str:
    """Marks as SVG elements (y measured down from the top, as SVG measures it)."""
    out = []
    for m in marks:
        xy = [(x, height - y) for x, y in m.xy]
        opacity = f' opacity="{m.alpha}"' if m.alpha < 1 else ""
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in xy)
        if m.kind == "path":
            dash = f' stroke-dasharray="{" ".join(str(d) for d in m.dash)}"' if m.dash else ""
            out.append(f'<polyline points="{points}" fill="none" stroke="{m.colour}" stroke-width="{m.width}" '
                       f'stroke-linejoin="round" stroke-linecap="butt"{dash}{opacity}/>')  # fmt: skip
        elif m.kind == "polygon":
            out.append(f'<polygon points="{points}" fill="{m.fill or "none"}" stroke="{m.colour}" '
                       f'stroke-width="{m.width}" stroke-linejoin="miter"{opacity}/>')  # fmt: skip
        elif m.kind == "circle":
            out.append(f'<circle cx="{xy[0][0]:.2f}" cy="{xy[0][1]:.2f}" r="{m.radius:.2f}" fill="{m.fill or "none"}" '
                       f'stroke="{m.colour}" stroke-width="{m.width}"{opacity}/>')  # fmt: skip
        else:
            weight = ' font-weight="bold"' if m.bold else ""
            out.append(f'<text x="{xy[0][0]:.2f}" y="{xy[0][1]:.2f}" font-family="DejaVu Sans, Verdana, sans-serif" '
                       f'font-size="{m.size}" fill="{m.colour}"{weight}>{html.escape(m.text)}</text>')  # fmt: skip
    return '<g class="marks">' + "".join(out) + "</g>"


def _point_style(s: Series, i: int) -> tuple[str, str, str]:
    """(marker, edge colour, face colour) of point i of a series: its published comparison's
    shape and colour (hollow when not compared), or the series' own shape."""
    if s.comparisons is None:
        return s.marker, s.colour, s.colour
    c = comparison(s.comparisons[i])
    return c.marker, c.colour, WHITE if c.hollow else c.colour


def _key_handles(ms: float = 9):
    """The comparison key as legend handles: one shape and word per comparison."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], ls="none", marker=c.marker, ms=ms, mec=c.colour, mew=1.5,
                   mfc=WHITE if c.hollow else c.colour, label=c.words) for c in COMPARISONS.values()]  # fmt: skip


KEY_TITLE = "Compared with England (95%):"


def trend(periods: Sequence[str], series: Sequence[Series], provisional: set[str], size=(9, 4.8),
          dpi: int = 110) -> bytes:  # fmt: skip
    """Rate by period with 95% intervals, every period on the axis, provisional ones marked
    with a hatched band and '(provisional)' under the label; the line breaks at a hidden
    value; the legend above the plot, the comparison key (when points are compared) below."""
    from matplotlib.lines import Line2D

    plt = setup()
    fig, ax = plt.subplots(figsize=size)
    compared = any(s.comparisons is not None for s in series)
    _trend_axes(ax, periods, provisional, _axis_top(series), key=compared)
    handles = []
    for offset, s in enumerate(series):
        shift = (offset - (len(series) - 1) / 2) * 0.08
        for run in _runs(s.values):
            ax.plot([i + shift for i in run], [s.values[i] for i in run], color=s.colour, lw=2,
                    ls="--" if s.dashed else "-", clip_on=False)  # fmt: skip
        for i in (i for run in _runs(s.values) for i in run):
            lo, hi = (s.lower or [None] * len(s.values))[i], (s.upper or [None] * len(s.values))[i]
            if lo is not None and hi is not None:
                ax.plot([i + shift] * 2, [lo, hi], color=s.colour, lw=1.2, clip_on=False)
            marker, edge, face = _point_style(s, i)
            ax.plot([i + shift], [s.values[i]], marker=marker, ms=9, mec=edge, mfc=face, mew=1.5, ls="none",
                    clip_on=False, zorder=3)  # fmt: skip
        handles.append(Line2D([], [], color=s.colour, lw=2, ls="--" if s.dashed else "-", marker=s.marker,
                              ms=7, mfc=s.colour, mec=s.colour, label=s.name))  # fmt: skip
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=min(3, len(series)), frameon=False,
              borderaxespad=0, handlelength=2.5)  # fmt: skip
    if compared:
        _draw_key(fig)
    return png(fig, dpi)


def _draw_key(fig) -> None:
    """The comparison key along the bottom of a figure, outside the plot."""
    fig.legend(handles=_key_handles(), loc="lower center", ncols=4, frameon=False, title=KEY_TITLE,
               title_fontsize=12, fontsize=12, bbox_to_anchor=(0.5, 0.0), columnspacing=1.6)  # fmt: skip


class TrendCanvas:
    """The local-area profiles' trend chart, for a hundred and fifty areas without drawing a
    hundred and fifty figures: what every area shares (periods, provisional bands, axis, the
    comparison key) is drawn once per axis top; each area's lines, intervals, points and
    legend are marks on it, placed as `trend` would draw them."""

    def __init__(self, periods: Sequence[str], provisional: set[str], size=(9, 4.8)):
        self.periods, self.provisional, self.size = list(periods), provisional, size
        self._frames: dict[float, tuple[object, Backdrop]] = {}

    def _frame(self, top: float):
        if top not in self._frames:
            plt = setup()
            fig, ax = plt.subplots(figsize=self.size)
            _trend_axes(ax, self.periods, self.provisional, top, key=True)
            _draw_key(fig)
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


def _trend_axes(ax, periods: Sequence[str], provisional: set[str], top: float, key: bool = False) -> None:
    """The axis of a trend chart: every period, provisional ones hatched and labelled; room
    above the plot for the legend and below it for the comparison key."""
    for i, period in enumerate(periods):
        if period in provisional:
            ax.axvspan(i - 0.45, i + 0.45, color=BAND, alpha=0.6, hatch="//", lw=0)
    ax.set_xticks(range(len(periods)), [f"{p}\n(provisional)" if p in provisional else p for p in periods])
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.set_ylim(0, top)
    ax.set_ylabel("% started treatment")
    ax.grid(axis="y", alpha=0.3)
    ax.figure.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.33 if key else 0.2)


def _series_marks(ax, s: Series, shift: float, xs: Sequence[float] | None = None) -> list[Mark]:
    """A series as `trend` draws it: the line (2 pt, broken at a hidden value), each interval
    (1.2 pt) and each point's shape (its comparison's, or the series' own). Point i is drawn
    at x = i (a trend's periods) or at xs[i] (a wait's days), moved by `shift`."""
    if not any(v is not None for v in s.values):
        return []
    at = (lambda i: i + shift) if xs is None else (lambda i: xs[i] + shift)  # noqa: E731
    dash = (6.0, 3.0) if s.dashed else ()
    marks = [Mark("path", tuple(_points(ax, at(i), s.values[i]) for i in run), s.colour, width=2, dash=dash)
             for run in _runs(s.values) if len(run) > 1]  # fmt: skip
    lower, upper = s.lower or [None] * len(s.values), s.upper or [None] * len(s.values)
    for i, v in enumerate(s.values):
        if v is None:
            continue
        if lower[i] is not None and upper[i] is not None:
            marks.append(Mark("path", (_points(ax, at(i), lower[i]), _points(ax, at(i), upper[i])), s.colour,
                              width=1.2))  # fmt: skip
        marker, edge, face = _point_style(s, i)
        marks.append(shape(marker, *_points(ax, at(i), v), edge, face))
    return marks


def _legend_marks(ax, series: Sequence[Series], size: float = 13) -> list[Mark]:
    """The legend `trend` draws above the plot: per series a line with its point shape and its
    name, in a row (a second row when the names do not fit)."""
    k = 72 / ax.figure.dpi
    left, right = ax.bbox.x0 * k, ax.figure.bbox.x1 * k - 6
    x, baseline, marks = left, ax.bbox.y1 * k + 0.75 * size, []
    for s in series:
        width = 2.8 * size + text_width(s.name, size)
        if x > left and x + width > right:
            x, baseline = left, baseline + 1.5 * size
        y = baseline + 0.35 * size
        dash = (6.0, 3.0) if s.dashed else ()
        marks.append(Mark("path", ((x, y), (x + 2.2 * size, y)), s.colour, width=2, dash=dash))
        marks.append(shape(s.marker, x + 1.1 * size, y, s.colour, s.colour, r=3.5))
        marks.append(Mark("text", ((x + 2.8 * size, baseline),), TEXT["body"], text=s.name, size=size))
        x += width + 1.6 * size
    return marks


WAIT_LABEL = "% started treatment (estimate)"


def _wait_axes(ax, days: Sequence[int], top: float, window: int | None, ticks: bool = True) -> None:
    """The axis of a time-to-treatment chart: days since release on a linear scale, a tick at
    every published day, a dotted line at the indicator's window (no words on the plot)."""
    if window is not None:
        ax.axvline(window, color=PALETTE["limits"], lw=1.2, ls=":", zorder=1)
    ax.set_xticks(list(days), [str(d) for d in days] if ticks else [])
    ax.set_xlim(0, max(days, default=182) * 1.04)
    ax.set_ylim(0, top)
    ax.grid(axis="y", alpha=0.3)


class WaitCanvas:
    """The local-area profiles' time-to-treatment chart (the Kaplan-Meier share started by each
    published day, with its 95% interval) for the area, its region and England: the axes drawn
    once per axis top, each area's lines, intervals, points and legend marks on them, as
    TrendCanvas does for the trend. A line breaks where a value is not shown."""

    def __init__(self, days: Sequence[int], window: int | None, size=(9, 4.6)):
        self.days, self.window, self.size = list(days), window, size
        self._frames: dict[float, tuple[object, Backdrop]] = {}

    def _frame(self, top: float):
        if top not in self._frames:
            plt = setup()
            fig, ax = plt.subplots(figsize=self.size)
            _wait_axes(ax, self.days, top, self.window)
            ax.set_xlabel("Days since release")
            ax.set_ylabel(WAIT_LABEL)
            fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.16)
            self._frames[top] = (ax, backdrop(fig))
            plt.close(fig)
        return self._frames[top]

    def draw(self, series: Sequence[Series]) -> Drawing:
        ax, frame = self._frame(_axis_top(series))
        marks, shown = [], []
        for offset, s in enumerate(series):
            shift = (offset - (len(series) - 1) / 2) * 1.6  # days: the intervals side by side, not on top
            drawn = _series_marks(ax, s, shift, xs=self.days)
            marks += drawn
            shown += [s] if drawn else []
        return Drawing(frame, marks + _legend_marks(ax, shown))


def waits(days: Sequence[int], england: Series, regions: Sequence[Series], window: int | None,
          size=(8.6, 5.8), ncols: int = 3) -> bytes:  # fmt: skip
    """A panel per region: the region's time-to-treatment curve (dashed, squares) against
    England's (solid, diamonds), each point with its 95% interval; the same axes in every
    panel, the legend under the panels; a line breaks where a value is not shown."""
    from matplotlib.lines import Line2D

    plt = setup()
    rows_n = max(1, (len(regions) + ncols - 1) // ncols)
    fig, grid = plt.subplots(rows_n, ncols, figsize=size, sharex=True, sharey=True, layout="constrained",
                             squeeze=False)  # fmt: skip
    fig.get_layout_engine().set(h_pad=0.06, hspace=0.04, w_pad=0.06)
    top = _axis_top([england, *regions])
    axes = list(grid.flat)
    for ax in axes[len(regions) :]:
        ax.axis("off")
    for ax, region in zip(axes, regions, strict=False):
        _wait_axes(ax, days, top, window)
        for s, shift in ((england, -1.5), (region, 1.5)):
            lower, upper = s.lower or [None] * len(s.values), s.upper or [None] * len(s.values)
            for run in _runs(s.values):
                ax.plot([days[i] + shift for i in run], [s.values[i] for i in run], color=s.colour, lw=1.6,
                        ls="--" if s.dashed else "-", marker=s.marker, ms=4.5, clip_on=False)  # fmt: skip
                for i in run:
                    if lower[i] is not None and upper[i] is not None:
                        ax.plot([days[i] + shift] * 2, [lower[i], upper[i]], color=s.colour, lw=1, clip_on=False)
        title = _wrap(region.name, 26)
        if not any(v is not None for v in region.values):
            title += "\n(not shown)"
        ax.set_title(title, fontsize=12, loc="left", fontweight="bold")
        # the window and the later days: ticks a small panel can hold without crowding
        ax.set_xticks([d for d in days if d == window or d >= 0.4 * max(days)])
        ax.tick_params(labelsize=11, labelbottom=True)
        if ax in grid[-1]:
            ax.set_xlabel("Days since release", fontsize=11)
    handles = [
        Line2D([], [], color=england.colour, lw=1.6, marker=england.marker, ms=5, label="England (95% interval)"),
        Line2D([], [], color=PALETTE["region"], lw=1.6, ls="--", marker="s", ms=5, label="Region (95% interval)"),
    ]
    if window is not None:
        handles.append(Line2D([], [], color=PALETTE["limits"], lw=1.2, ls=":", label=f"Day {window}"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=12)
    fig.supylabel(WAIT_LABEL, fontsize=12)
    return png(fig)


def funnel(points: list[dict], england: float, size=(9, 5.2), named: int = 6) -> bytes:
    """A funnel plot from the funnel mart, the `named` furthest outliers named (see FunnelCanvas)."""
    return FunnelCanvas(points, england, size, named=named).close()


POSITIONS = {  # a funnel point's published position_998: the comparison it is drawn as, and its words
    "above": ("better", "Above the 99.8% limits"),
    "inside": ("similar", "Inside the limits"),
    "below": ("worse", "Below the 99.8% limits"),
}


class FunnelCanvas:
    """A funnel plot from the funnel mart: each point's denominator and value, the published
    95% and 99.8% limits, each point's shape and colour its published position_998 (above,
    inside, below). The legend sits under the plot; `named` outliers (furthest from England
    first) are named on it. Drawn once; `ringed` gives the plot with one area ringed and
    named, for the local-area profiles (drawn with named=0, so a name is never printed twice):
    the ring and the name are marks on the plot drawn once, not a hundred and fifty funnels."""

    def __init__(self, points: list[dict], england: float, size=(9, 5.2), named: int = 0):
        from matplotlib.lines import Line2D

        plt = setup()
        self.fig, ax = plt.subplots(figsize=size)
        self.ax, self.points = ax, points
        curve = sorted(points, key=lambda p: p["denominator"])
        dens = [p["denominator"] for p in curve]
        for level, style in (("95", "--"), ("998", ":")):
            for side in ("upper", "lower"):
                ax.plot(dens, [p[f"{side}_limit_{level}_pct"] for p in curve], style, color=PALETTE["limits"], lw=1.6)
        ax.axhline(england, color=PALETTE["england"], lw=1.4)
        handles = [
            Line2D([], [], color=PALETTE["limits"], ls="--", lw=1.6, label="95% limits"),
            Line2D([], [], color=PALETTE["limits"], ls=":", lw=1.6, label="99.8% limits"),
            Line2D([], [], color=PALETTE["england"], lw=1.4, label=f"England {england:.1f}%"),
        ]
        for position, (key, words) in POSITIONS.items():
            c = COMPARISONS[key]
            chosen = [p for p in points if p["position_998"] == position]
            ax.scatter([p["denominator"] for p in chosen], [p["value_pct"] for p in chosen], s=42, marker=c.marker,
                       color=c.colour, edgecolors=c.colour, zorder=3, clip_on=False)  # fmt: skip
            handles.append(Line2D([], [], ls="none", marker=c.marker, ms=8, color=c.colour, label=words))
        outliers = sorted((p for p in points if p["position_998"] != "inside"),
                          key=lambda p: -abs(p["value_pct"] - england))[:named]  # fmt: skip
        for p in outliers:
            ax.annotate(p["geography_name"], (p["denominator"], p["value_pct"]), textcoords="offset points",
                        xytext=(6, 4), fontsize=12, zorder=4)  # fmt: skip
        ax.set_xlabel("Releases judged (denominator, as published)")
        ax.set_ylabel("% started treatment")
        ax.set_xlim(0, max(dens, default=1) * 1.05)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.2)
        self.fig.legend(handles=handles, loc="lower center", ncols=3, frameon=False, fontsize=12,
                        bbox_to_anchor=(0.5, 0.0), columnspacing=1.4)  # fmt: skip
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.96, bottom=0.3)
        self._backdrop: Backdrop | None = None

    def ringed(self, name: str) -> Drawing:
        """The plot with `name` ringed and named in bold (left of the ring near the right edge)."""
        if self._backdrop is None:
            self._backdrop = backdrop(self.fig)
        marks = []
        right = self.ax.bbox.x1 * 72 / self.fig.dpi
        for p in (p for p in self.points if p["geography_name"] == name):
            x, y = _points(self.ax, p["denominator"], p["value_pct"])
            width = text_width(name, 14, bold=True)
            tx = x + 10 if x + 10 + width < right else x - 10 - width
            marks += [Mark("circle", ((x, y),), PALETTE["england"], width=2.5, radius=9),
                      Mark("text", ((tx, y + 11),), PALETTE["england"], text=name, size=14, bold=True)]  # fmt: skip
        return Drawing(self._backdrop, marks)

    def close(self) -> bytes:
        return png(self.fig)

    def dispose(self) -> None:
        setup().close(self.fig)


def bars(labels: Sequence[str], counts: Sequence[int], notes: Sequence[str], xlabel: str,
         size=(9, 4.8)) -> bytes:  # fmt: skip
    """Horizontal bars, largest at the top, each with its note written beside it (the note
    says when a rate is hidden); one colour, the subject's."""
    plt = setup()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ys = list(range(len(labels)))[::-1]
    counts = [float(n) for n in counts]  # a count may come as a decimal
    ax.barh(ys, counts, color=PALETTE["subject"])
    for y, n, note in zip(ys, counts, notes, strict=True):
        ax.text(n, y, f"  {note}", va="center", fontsize=13)
    ax.set_yticks(ys, [_wrap(label, 30) for label in labels], fontsize=12 if len(labels) > 6 else 13)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    # room for the longest label beside its bar: a label is never cut by the plot's edge
    longest = max((text_width(f"  {n}", 13) for n in notes), default=0)
    ax.set_xlim(0, max(max(counts, default=1), 1) * (1 + longest / 250))
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    return png(fig)


def dot_intervals(panels: dict[str, list[tuple[str, float, float, float]]], reference: float | None,
                  reference_label: str, size=(8.6, 5.8), xlabel: str = "% started treatment (95% interval)",
                  ncols: int = 2) -> bytes:  # fmt: skip
    """One panel per breakdown: a dot and its 95% interval per category (percent), with a
    dashed vertical reference line (England's rate) named in a legend under the panels."""
    from matplotlib.lines import Line2D

    plt = setup()
    rows_n = (len(panels) + ncols - 1) // ncols
    fig, grid = plt.subplots(rows_n, ncols, figsize=size, sharex=True, layout="constrained", squeeze=False)
    fig.get_layout_engine().set(h_pad=0.12, hspace=0.06, w_pad=0.1)
    axes = list(grid.flat)
    for ax in axes[len(panels) :]:
        ax.axis("off")
    for ax, (title, rows) in zip(axes, panels.items(), strict=False):
        ys = list(range(len(rows)))[::-1]
        for y, (_, mean, lo, hi) in zip(ys, rows, strict=True):
            ax.plot([lo, hi], [y, y], color=PALETTE["subject"], lw=2, clip_on=False)
            ax.plot([mean], [y], "o", color=PALETTE["subject"], ms=7, clip_on=False)
        if reference is not None:
            ax.axvline(reference, color=PALETTE["england"], lw=1.2, ls="--")
        labels = [_wrap(c, 22) for c, *_ in rows]
        crowded = len(rows) > 4 and any("\n" in label for label in labels)  # a two-line label between others
        ax.set_yticks(ys, labels, fontsize=11 if crowded else 12 if len(rows) > 4 else 13, linespacing=0.9)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_title(_wrap(title, 18), fontsize=14, loc="left", fontweight="bold")
        ax.set_xlim(0, 100)
        ax.tick_params(axis="x", labelbottom=True, labelsize=12)
        ax.grid(axis="x", alpha=0.3)
    if reference is not None:
        handle = Line2D([], [], color=PALETTE["england"], lw=1.2, ls="--", label=reference_label)
        fig.legend(handles=[handle], loc="outside lower right", frameon=False, fontsize=12)
    fig.supxlabel(xlabel, fontsize=13)
    return png(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


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
    blue, dark, grey, green = PALETTE["subject"], TEXT["body"], TEXT["muted"], PALETTE["better"]

    def person(x: float, y: float, scale: float, colour: str, filled: bool = True) -> None:
        """A person: filled, or (one not counted) white with an outline, so the count needs no colour."""
        style = {"fc": colour if filled else "white", "ec": colour, "lw": 2.5}
        add(Circle((x, y + 2.3 * scale), 0.55 * scale, **style))
        add(FancyBboxPatch((x - 0.6 * scale, y), 1.2 * scale, 1.6 * scale, boxstyle="round,pad=0.15", **style))

    if kind == "prison":
        add(Rectangle((1, 1), 6, 7, color=grey))
        for x in (2, 3.2, 4.4, 5.6):
            add(Rectangle((x, 2.5), 0.35, 4.5, color=dark))
        person(8.4, 1, 1.0, blue)
    elif kind in ("calendar", "appointment"):
        add(Rectangle((1, 1), 8, 7, color="white", ec=dark, lw=3))
        add(Rectangle((1, 6.6), 8, 1.4, color=blue))
        if kind == "appointment":
            ax.plot([2.8, 4.4, 7.2], [4, 2.4, 5.6], color=green, lw=10)
        else:
            ax.text(5, 3.8, label, ha="center", va="center", fontsize=34, fontweight="bold", color=dark)
    elif kind == "people":
        for i in range(10):
            person(0.9 + (i % 5) * 2.05, 5.6 if i < 5 else 1.2, 0.9, blue if i < filled else grey, i < filled)
    elif kind == "meeting":
        person(3, 2, 1.5, blue)
        person(7, 2, 1.5, green)
        ax.plot([4.2, 5.8], [4.6, 4.6], color=dark, lw=4)
    elif kind == "records":
        add(Rectangle((2, 0.8), 6, 8.2, color="white", ec=dark, lw=3))
        for y in (7, 5.5, 4, 2.5):
            ax.plot([3, 7], [y, y], color=grey, lw=4)
        ax.text(7.3, 2.2, "!", fontsize=60, fontweight="bold", color=TEXT["alert"], ha="center", va="center")
    elif kind == "help":
        add(FancyBboxPatch((3, 1), 4, 8, boxstyle="round,pad=0.3", color=dark))
        add(Rectangle((3.4, 2.2), 3.2, 5.8, color=blue))
        add(Circle((5, 1.5), 0.35, color="white"))
    else:  # "made": a document with a tick
        add(Rectangle((2, 0.8), 6, 8.2, color="white", ec=dark, lw=3))
        ax.plot([3.3, 4.6, 7], [5, 3.4, 7], color=green, lw=10)
    return png(fig, dpi=80)
