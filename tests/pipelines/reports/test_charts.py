"""The chart palette and the charts' marks: contrast, one meaning per colour, lines broken at
hidden values, legends outside the data, an area named once on its funnel."""

import pytest

from pipelines.reports import charts


def test_every_palette_colour_has_3_to_1_contrast_on_white_and_one_meaning():
    # WCAG 2.1: (L1 + 0.05) / (L2 + 0.05); white is 21:1 against black, 1:1 against itself
    assert charts.contrast("#000000") == pytest.approx(21.0)
    assert charts.contrast("#FFFFFF") == pytest.approx(1.0)
    # the old light blue and amber fail: 2.3:1 and 2.5:1
    assert charts.contrast("#41B6E6") < 3 and charts.contrast("#ED8B00") < 3
    for role, colour in charts.PALETTE.items():
        assert charts.contrast(colour) >= 3.0, (role, colour, round(charts.contrast(colour), 2))
    assert len(set(charts.PALETTE.values())) == len(charts.PALETTE)  # no colour has two meanings


def test_a_comparison_is_a_shape_and_a_word_as_well_as_a_colour():
    drawn = [charts.comparison(label) for label in ("Better", "Similar", "Worse", "Not compared", None)]
    assert [c.words for c in drawn] == ["Better", "Similar", "Worse", "Not compared", "Not compared"]
    shapes = {(c.marker, c.hollow) for c in charts.COMPARISONS.values()}
    assert len(shapes) == len(charts.COMPARISONS)  # each comparison its own shape, whatever its colour


def test_the_line_breaks_at_a_hidden_value_and_the_legend_sits_above_the_plot():
    canvas = charts.TrendCanvas(["2021/22", "2022/23", "2023/24", "2024/25"], set())
    area = charts.Series("Stockton-on-Tees", [40.0, None, 45.0, 50.0], [30.0, None, 35.0, 40.0], [50.0, None, 55.0, 60.0],
                         comparisons=["Similar", None, "Better", "Worse"])  # fmt: skip
    drawing = canvas.draw([area])
    lines = [m for m in drawing.marks if m.kind == "path" and m.width == 2 and m.colour == charts.PALETTE["subject"]]
    # one line for the run 2021/22 (alone: no line), one through 2023/24 and 2024/25; the legend's sample
    data_lines = [m for m in lines if len(m.xy) > 1 and m.xy[0][0] != m.xy[1][0] and m.xy[0][1] != m.xy[1][1]]
    assert len(data_lines) == 1 and len(data_lines[0].xy) == 2
    ax, _ = canvas._frame(charts._axis_top([area]))
    top = ax.bbox.y1 * 72 / ax.figure.dpi
    texts = [m for m in drawing.marks if m.kind == "text"]
    assert [t.text for t in texts] == ["Stockton-on-Tees"] and all(t.xy[0][1] > top for t in texts)
    shapes = [m for m in drawing.marks if m.kind in ("circle", "polygon") and m.xy[0][1] <= top]
    assert len(shapes) == 3  # three points shown, none for the hidden year


def test_an_area_is_named_once_on_its_funnel():
    points = [
        {"geography_name": n, "denominator": d, "value_pct": v, "position_998": pos, "upper_limit_95_pct": 60,
         "lower_limit_95_pct": 20, "upper_limit_998_pct": 70, "lower_limit_998_pct": 10}
        for n, d, v, pos in [("South Tyneside", 20, 90.0, "above"), ("Leeds", 40, 40.0, "inside"), ("Hull", 30, 0.0, "below")]
    ]  # fmt: skip
    canvas = charts.FunnelCanvas(points, 40.0)
    drawing = canvas.ringed("South Tyneside")
    canvas.dispose()
    assert [m.text for m in drawing.marks if m.kind == "text"] == ["South Tyneside"]
    assert "South Tyneside" not in drawing.backdrop.svg  # no outlier named on the profiles' funnel
