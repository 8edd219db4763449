"""The quarantine_share publication gate (issue 35) on a small landing built by code."""

import json

import duckdb

from pipelines.contract import EXTRACTS_BY_NAME
from pipelines.gates import evaluate
from pipelines.load import load_extract
from tests.helpers import case_row, write_extract


def _cases(landing, date: str, good: int, unknown_site: int) -> None:
    rows = [case_row(CRN=f"A{i:06d}", ERSITE="ERA") for i in range(good)]
    rows += [case_row(CRN=f"B{i:06d}", ERSITE="ZZ") for i in range(unknown_site)]
    write_extract(landing, "ndelius_cases", date, rows)


def _warehouse(tmp_path, landing):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    load_extract(con, landing, EXTRACTS_BY_NAME["ndelius_cases"])
    con.close()
    return warehouse


def test_an_extract_with_most_lines_quarantined_blocks_with_its_top_reason(tmp_path):
    # the landing of issue 35: 142 of 205 ndelius_cases lines name an ER site not in the seed
    landing = tmp_path / "landing"
    _cases(landing, "2024-06-30", good=63, unknown_site=142)
    result = evaluate("quarantine_share", _warehouse(tmp_path, landing), tmp_path)
    assert not result.passed
    # 142 / 205 = 69.3%
    assert result.reason == (
        "ndelius_cases: 142 of 205 new lines quarantined (69.3%), more than 5% (gate_quarantine_max_share); "
        "top reason, 142 line(s) on ERSITE: ERSITE 'ZZ' is not in the code list (raw.quarantine)"
    )


def test_a_share_at_the_limit_passes_and_published_files_are_not_counted_again(tmp_path):
    landing = tmp_path / "landing"
    _cases(landing, "2024-06-30", good=95, unknown_site=5)  # 5 of 100 = 5%: not more than 5%
    warehouse = _warehouse(tmp_path, landing)
    assert evaluate("quarantine_share", warehouse, tmp_path).passed
    _cases(landing, "2024-09-30", good=10, unknown_site=10)  # 50% of the new file's lines
    warehouse = _warehouse(tmp_path, landing)
    assert not evaluate("quarantine_share", warehouse, tmp_path).passed
    # once a publication holds that file (an analyst accepted it), a later run does not count it again
    con = duckdb.connect(str(warehouse), read_only=True)
    files = con.execute("select source_file, file_sha256 from raw.loaded_files").fetchall()
    con.close()
    (tmp_path / "published").mkdir()
    notes = {"extract_files": [{"file": f, "sha256": sha} for f, sha in files]}
    (tmp_path / "published" / "notes.json").write_text(json.dumps(notes))
    result = evaluate("quarantine_share", warehouse, tmp_path)
    assert result.passed and result.reason == "0 extract(s) with new lines, none over 5%"


def _c20(con, schema: str, rows) -> None:
    con.execute(f"create schema if not exists {schema}")
    con.execute(
        f"create table {schema}.phof_c20 (period_type varchar, period_start date, geography_type varchar, "
        "value_pct double, denominator bigint, period_label varchar)"
    )
    con.executemany(f"insert into {schema}.phof_c20 values (?, ?, 'england', ?, ?, ?)", rows)


def test_c20_change_blocks_a_big_national_move_and_skips_a_year_the_publication_hid(tmp_path):
    from pipelines.gates import GateRules, c20_change

    rules = GateRules(extracts=(), max_change_points=5, plausible_pct=(10, 90), min_denominator=10)
    published = tmp_path / "marts.duckdb"
    before = duckdb.connect(str(published))
    # 2023/24 was published as 50.0%; 2024/25's England figure was hidden (a small count)
    _c20(before, "main", [("financial_year", "2023-04-01", 50.0, 200, "2023/24"),
                          ("financial_year", "2024-04-01", None, 12, "2024/25")])  # fmt: skip
    before.close()
    con = duckdb.connect()
    _c20(con, "marts", [("financial_year", "2023-04-01", 30.0, 200, "2023/24"),
                        ("financial_year", "2024-04-01", 80.0, 12, "2024/25")])  # fmt: skip
    result = c20_change(con, rules, published)
    # 30.0 - 50.0 = -20.0 points; 2024/25 has nothing published to compare with
    assert not result.passed
    assert result.reason == (
        "national C20 2023/24 moved from 50.0% to 30.0% (-20.0 points) since the last publication; "
        "more than 5 points (gate_c20_max_change_points)"
    )
