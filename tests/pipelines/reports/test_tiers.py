"""The reports' one way to the tables: a tier refuses a table it does not publish, and a
NULL is hidden only when its value note says so."""

import duckdb
import pytest

from pipelines.reports.tiers import TierError, is_hidden, open_tier, partner_tier


def test_the_open_tier_never_reads_a_partner_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "marts.duckdb"))
    con.execute("create table phof_c20 as select 1 as n")
    con.execute("create table continuity_flows as select 2 as n")
    con.close()
    with open_tier(tmp_path) as tier:
        assert tier.query("select n from marts.phof_c20")["n"].to_list() == [1]
        assert tier.has("phof_c20") and not tier.has("continuity_flows")
        with pytest.raises(TierError, match="does not publish continuity_flows"):
            tier.query("select * from marts.phof_c20 join marts.continuity_flows using (n)")
    with partner_tier(tmp_path) as tier:  # a publication made before the tiers: marts.duckdb holds both
        assert tier.query("select n from marts.continuity_flows")["n"].to_list() == [2]
    with pytest.raises(TierError, match="holds no partner_marts.duckdb or marts.duckdb"):
        partner_tier(tmp_path / "nowhere").__enter__()


@pytest.mark.parametrize(
    ("value", "note", "column", "hidden"),
    [
        (None, "Suppressed: small numbers", "numerator", True),  # the row's own reason: all it hides
        (None, "Suppressed: to protect another cell", "value_pct", True),
        (None, "Provisional: releases still pending; pending suppressed: small numbers", "pending", True),
        (None, "Provisional: releases still pending; pending suppressed: small numbers", "numerator", False),
        (None, "No releases", "value_pct", False),  # no value, nothing hidden
        (None, None, "value_pct", False),
        (12, "Suppressed: small numbers", "denominator", False),  # a value that is there is never hidden
    ],
)
def test_a_null_is_hidden_when_its_value_note_says_so(value, note, column, hidden):
    assert is_hidden(value, note, column) is hidden
