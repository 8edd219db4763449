"""The publication's copies are made by DuckDB: the tables, their comments, and Parquet files
carrying the table and column descriptions, from a warehouse that is never modified."""

import hashlib

import duckdb
import pyarrow.parquet as pq

from pipelines.publish import publish


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
    for table in ("continuity_releases", "recording_issues", "er_outcomes"):
        con.execute(f"create table marts.{table} as select range as id, 'x' || range as label from range(3)")
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
    # the restricted tier: the three record-level marts, 3 rows each, and nothing else
    restricted = sorted(p.name for p in (folder / "restricted" / "parquet").iterdir())
    assert restricted == ["continuity_releases.parquet", "er_outcomes.parquet", "recording_issues.parquet"]
    assert pq.read_table(folder / "restricted" / "parquet" / "recording_issues.parquet").num_rows == 3
