"""The profile's time to treatment and rate if recording were complete, from hand-made open-tier
rows: the published figures in plain words, a hidden figure said and never printed, and the
chart's line broken where a day's value is hidden."""

from pipelines.reports import charts, profiles

HIDDEN = "Suppressed: small numbers"


def _profile(area_waits=(), adjusted=None) -> profiles.Profile:
    p = profiles.Profile("E06000099", "Testshire", "North East", ["2024/25"], {}, {}, {}, None, [])
    p.closed = "2024/25"
    if area_waits:
        p.waits["area"] = list(area_waits)
    if adjusted is not None:
        p.adjusted["area"] = adjusted
    return p


def _wait(day, pct, lower=None, upper=None, note=None, median=None) -> dict:
    return {"day": day, "started_pct": pct, "lower_ci95_pct": lower, "upper_ci95_pct": upper, "value_note": note,
            "median_days_to_start": median}  # fmt: skip


def test_the_rate_if_recording_were_complete_in_words_is_the_tables_own():
    # 3 of 8 started (37.5%); 2 more a fix would count: 5 of 8 = 62.5%, 25.0 points higher; 62.5% is about 6 in 10
    row = {"value_pct": 37.5, "adjusted_value_pct": 62.5, "difference_pct_points": 25.0, "releases_fix_would_engage": 2,
           "value_note": None}  # fmt: skip
    text = profiles.adjusted_sentence(_profile(adjusted=row))
    assert text.startswith("In 2024/25, 37.5% of people released to Testshire started treatment within 21 days")
    assert "If recording were complete, about 6 in 10 would have started: 62.5%, 25.0 points higher." in text
    # nothing a fix would count: the same rate, a difference of 0.0 points
    same = {"value_pct": 56.0, "adjusted_value_pct": 56.0, "difference_pct_points": 0.0, "value_note": None}
    assert "it would still be about 6 in 10 (56.0%, a difference of 0.0 points)" in profiles.adjusted_sentence(
        _profile(adjusted=same)
    )


def test_a_hidden_rate_if_recording_were_complete_is_said_and_not_printed():
    # the published rate is shown (40.0%), the releases a fix would count are hidden, so the adjusted rate is too
    row = {"value_pct": 40.0, "adjusted_value_pct": None, "difference_pct_points": None,
           "releases_fix_would_engage": None, "value_note": "releases_fix_would_engage suppressed: small numbers"}  # fmt: skip
    text = profiles.adjusted_sentence(_profile(adjusted=row))
    assert "The rate if recording were complete is not shown, to protect small numbers." in text
    assert "in 10" not in text and "points" not in text
    # the row hidden whole: neither rate
    gone = {"value_pct": None, "adjusted_value_pct": None, "difference_pct_points": None, "value_note": HIDDEN}
    assert profiles.adjusted_sentence(_profile(adjusted=gone)) == (
        "In 2024/25, the rate is not shown, to protect small numbers; so is the rate if recording were complete."
    )
    assert profiles.shown_pct(gone, "adjusted_value_pct") == "[c]"
    assert profiles.shown_pct({"adjusted_value_pct": None, "value_note": "No releases"}, "adjusted_value_pct") == "[x]"


def test_about_n_in_10_rounds_half_up():
    assert [profiles.in_ten(v) for v in (45.0, 44.9, 4.9, 95.0)] == [5, 4, 0, 10]


def test_the_wait_in_words_and_the_chart_break_at_a_hidden_day():
    waits = [_wait(7, 30.0, 20.0, 41.0), _wait(14, 40.0, 29.0, 52.0), _wait(21, None, note=HIDDEN),
             _wait(91, 60.0, 48.0, 71.0)]  # fmt: skip
    p = _profile(waits)
    text = profiles.wait_sentence(p)
    assert text.startswith("Of people released to Testshire in 2024/25, the share started by day 21 is not shown, "
                           "to protect small numbers; an estimated 60.0% had started treatment by day 91 (95% "
                           "interval 48.0% to 71.0%).")  # fmt: skip
    assert "Half had started" not in text  # the table gives no median
    assert [r[1].get("started_pct") for r in profiles.wait_rows(p)] == [30.0, 40.0, None, 60.0]
    assert profiles.day_notes(p) == [f"day 21: {HIDDEN}"]
    drawing = charts.WaitCanvas([7, 14, 21, 91], 21).draw(profiles._wait_series(p))
    lines = [m for m in drawing.marks if m.kind == "path" and m.width == 2 and len(m.xy) > 1]
    data_lines = [m for m in lines if m.xy[0][0] != m.xy[1][0] and m.xy[0][1] != m.xy[1][1]]
    assert len(data_lines) == 1 and len(data_lines[0].xy) == 2  # 7 to 14 joined; nothing across day 21
    assert len([m for m in drawing.marks if m.kind in ("circle", "polygon")]) == 3 + 1  # three points, one in the key
    assert [m.text for m in drawing.marks if m.kind == "text"] == ["Testshire"]


def test_every_value_hidden_leaves_the_area_out_of_the_chart_and_says_why():
    p = _profile([_wait(d, None, note=HIDDEN) for d in (7, 21, 182)])
    assert profiles.wait_sentence(p).startswith(
        "Of people released to Testshire in 2024/25, the shares started by each day are not shown, to protect small "
        "numbers."
    )
    assert profiles.wait_caption(p) == "Not drawn, every value hidden to protect small numbers: Testshire."
    assert profiles.day_notes(p) == [f"days 7 to 182: {HIDDEN}"]
