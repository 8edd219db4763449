"""The slides built from hand-made tables: every published flow ranked, a hidden rate said."""

import polars as pl

from pipelines.disclosure import Rules
from pipelines.reports import slides


def test_every_published_flow_is_ranked_and_a_hidden_rate_says_so_in_its_bar_label():
    # 12 flows; the two largest have hidden rates (they were left out before)
    releases = [40, 30, 25, 20, 18, 16, 15, 14, 12, 11, 10, 9]
    rates = [None, None, 40.0, 35.0, 50.0, 25.0, 20.0, 30.0, 41.7, 36.4, 30.0, 44.4]
    flows = pl.DataFrame(
        {
            "estab_code": [f"P{i}" for i in range(12)],
            "prison_name": [f"HMP {i}" for i in range(12)],
            "exit_la_code": [f"E0{i}" for i in range(12)],
            "la_name": [f"Area {i}" for i in range(12)],
            "releases": releases,
            "engaged": [None] * 12,
            "value_pct": rates,
            "value_note": ["Suppressed: small numbers" if r is None else None for r in rates],
        }
    )
    slide = slides.flows({"flows": flows, "latest_label": "2025/26", "rules": Rules()})
    assert slide.title == "Prison to local authority flows, 2025/26"
    assert "The 10 largest of the 12 published flows" in slide.text
    assert slide.numbers == [str(n) for n in releases[:10]]  # the ten largest, largest first
    assert slide.notes.startswith("Every published flow, largest first: 1. HMP 0 to Area 0: 40 released, rate hidden")
    assert "12. HMP 11 to Area 11: 9 released, 44.4% started" in slide.notes  # every flow in the notes
    assert "HMP 1 to Area 1: 30 released, rate hidden (small numbers)" in slide.alt
