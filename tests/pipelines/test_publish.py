"""The publication's copies are made by DuckDB: the tables, their comments, and Parquet files
carrying the table and column descriptions, from a warehouse that is never modified."""

import hashlib
import json
import stat
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.publish import publish, republish


def _warehouse(path):
    con = duckdb.connect(str(path))
    con.execute("create schema publication")
    con.execute("create schema marts")
    con.execute(
        "create table publication.phof_c20 as select * from (values ('england', 'E92000001', 2, 1, cast(50 as double), null), "
        "('region', 'E12000001', 3, null, null, 'Suppressed: fewer than 5')) v(geography_type, geography_code, "
        "denominator, numerator, value_pct, value_note)"
    )
    con.execute("comment on table publication.phof_c20 is 'The headline indicator.'")
    # a sum of integers is a HUGEINT in DuckDB
    con.execute("create table publication.continuity_flows as select sum(range) as releases from range(4)")
    con.execute("comment on column publication.phof_c20.value_note is 'Why the value is not a number.'")
    # the record-level marts, each with its financial year column: two years and a row without one
    for table, year in (
        ("continuity_releases", "financial_year"),
        ("recording_issues", "financial_year"),
        ("er_outcomes", "release_financial_year"),
    ):
        con.execute(
            f"create table marts.{table} as select range as id, 'x' || range as label, "
            f"['2023/24', '2024/25', null][range % 3 + 1] as {year} from range(3)"
        )
    con.execute("create table marts.phof_c20 as select 1 as not_restricted")
    con.close()


def test_tables_comments_and_parquet_descriptions_are_copied_by_duckdb(tmp_path):
    warehouse = tmp_path / "c.duckdb"
    _warehouse(warehouse)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    folder = publish(warehouse, tmp_path / "out", memory_limit="1GB")
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before  # read only

    con = duckdb.connect(str(folder / "open" / "marts.duckdb"), read_only=True)
    assert con.execute("select * from marts.phof_c20 order by geography_code").fetchall() == [
        ("region", "E12000001", 3, None, None, "Suppressed: fewer than 5"),
        ("england", "E92000001", 2, 1, 50.0, None),
    ]
    assert con.execute("select comment from duckdb_tables() where table_name = 'phof_c20'").fetchone()[0] == (
        "The headline indicator."
    )
    con.close()

    parquet = folder / "open" / "parquet" / "phof_c20.parquet"
    table = pq.read_table(parquet)
    # the same 2 rows and values, in the warehouse's order
    assert table.column("geography_code").to_pylist() == ["E92000001", "E12000001"]
    assert table.column("value_note").to_pylist() == [None, "Suppressed: fewer than 5"]
    assert table.schema.field("value_note").metadata == {b"description": b"Why the value is not a number."}
    assert table.schema.field("geography_code").metadata is None  # no comment, no description
    assert table.schema.metadata[b"description"] == b"The headline indicator."
    # 0+1+2+3 = 6, written as Arrow writes a HUGEINT (DECIMAL(38,0)), not as a DOUBLE
    flows = pq.read_table(folder / "open" / "parquet" / "continuity_flows.parquet")
    assert str(flows.schema.field("releases").type) == "decimal128(38, 0)"
    assert flows.column("releases").to_pylist() == [6]
    # the restricted tier: the three record-level marts, 3 rows each, a file per financial year
    restricted = folder / "restricted" / "parquet"
    assert sorted(p.name for p in restricted.iterdir()) == ["continuity_releases", "er_outcomes", "recording_issues"]
    years = sorted(p.name for p in (restricted / "recording_issues").iterdir())
    assert years == ["2023-24.parquet", "2024-25.parquet", "unknown.parquet"]
    issues = pq.read_table(restricted / "recording_issues" / "2024-25.parquet")
    assert issues.column("id").to_pylist() == [1] and issues.column("financial_year").to_pylist() == ["2024/25"]
    whole = duckdb.sql(f"select count(*) from read_parquet('{restricted}/er_outcomes/*.parquet')").fetchall()
    assert whole == [(3,)]


def _restricted_files(folder):
    return {p.relative_to(folder): p.stat() for p in (folder / "restricted" / "parquet").rglob("*.parquet")}


def _publish_before_and_after(tmp_path, change: str):
    """Publish, run `change` on the warehouse, publish again: (warehouse, first and second
    publication folders, their restricted year files)."""
    warehouse = tmp_path / "c.duckdb"
    _warehouse(warehouse)
    first = publish(warehouse, tmp_path / "out")
    con = duckdb.connect(str(warehouse))
    con.execute(change)
    con.close()
    second = publish(warehouse, tmp_path / "out")
    return warehouse, first, second, _restricted_files(first), _restricted_files(second)


def test_a_restricted_year_unchanged_since_the_last_publication_is_linked_not_copied(tmp_path):
    # a new quarter changes one row of 2024/25 in continuity_releases; nothing else changes
    warehouse, first, second, before, after = _publish_before_and_after(
        tmp_path, "update marts.continuity_releases set label = 'changed' where financial_year = '2024/25'"
    )
    assert before.keys() == after.keys() and len(after) == 9  # 3 tables x (2 years + unknown)
    changed = Path("restricted/parquet/continuity_releases/2024-25.parquet")
    for name, st in after.items():
        same_file = st.st_ino == before[name].st_ino
        assert same_file == (name != changed), name  # every other year file is a hard link
        assert stat.S_IMODE(st.st_mode) == 0o400
    rows = pq.read_table(second / changed).column("label").to_pylist()
    assert rows == ["changed"]
    # a third publication prunes the first (two are kept): the files it shared stay, still read-only
    third = publish(warehouse, tmp_path / "out")
    assert not first.exists()
    kept = _restricted_files(third)
    assert all(stat.S_IMODE(st.st_mode) == 0o400 for st in kept.values())
    assert all(st.st_ino == after[name].st_ino for name, st in kept.items())  # nothing changed: all linked
    digests = json.loads((third / "restricted" / "partitions.json").read_text())
    assert sorted(digests) == ["continuity_releases", "er_outcomes", "recording_issues"]
    assert digests == json.loads((second / "restricted" / "partitions.json").read_text())


def test_a_description_change_rewrites_a_year_and_republish_links_every_restricted_file(tmp_path):
    _, _, second, before, after = _publish_before_and_after(
        tmp_path, "comment on column marts.er_outcomes.label is 'A new description.'"
    )
    rewritten = {name for name, st in after.items() if st.st_ino != before[name].st_ino}
    # the rows are the same, but each er_outcomes file carries the descriptions: all three rewritten
    assert rewritten == {Path(f"restricted/parquet/er_outcomes/{y}.parquet") for y in ("2023-24", "2024-25", "unknown")}
    field = pq.read_table(second / "restricted/parquet/er_outcomes/unknown.parquet").schema.field("label")
    assert field.metadata == {b"description": b"A new description."}
    # the exports-only job makes a new publication from the current one: its restricted files linked
    third = republish(tmp_path / "out", [])
    linked = {p.relative_to(third): p.stat().st_ino for p in (third / "restricted").rglob("*") if p.is_file()}
    assert linked == {p.relative_to(second): p.stat().st_ino for p in (second / "restricted").rglob("*") if p.is_file()}


def test_an_empty_restricted_table_is_one_file_of_no_rows_with_its_columns(tmp_path):
    warehouse = tmp_path / "c.duckdb"
    _warehouse(warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.recording_issues")
    con.close()
    folder = publish(warehouse, tmp_path / "out")
    files = sorted((folder / "restricted" / "parquet" / "recording_issues").iterdir())
    assert [p.name for p in files] == ["empty.parquet"]
    table = pq.read_table(files[0])
    assert table.num_rows == 0 and table.column_names == ["id", "label", "financial_year"]
