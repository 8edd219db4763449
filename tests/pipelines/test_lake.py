"""The raw lake the loader writes for a Spark cluster (pipelines/lake.py) and the dbt command
lines of the spark_thrift target (pipelines/spark_thrift.py). No Spark here: `make
test-spark-cluster` runs the cluster itself."""

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.contract import EXTRACTS_BY_NAME, load_code_lists
from pipelines.lake import files_of, raw_table_sql
from pipelines.load import load_extract
from pipelines.spark_thrift import duckdb_args, merge_run_results, spark_args
from pipelines.withdraw import withdraw
from tests.helpers import secure_row, write_extract

SECURE = EXTRACTS_BY_NAME["ndtms_secure"]


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_the_lake_holds_the_rows_and_duckdb_none(con, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    rows = [secure_row(), secure_row(EPISODID="S2"), secure_row(EPISODID="S3", PRISEXDT="2023-02-30")]
    write_extract(landing, "ndtms_secure", "2023-06-30", rows)
    summary = load_extract(con, landing, SECURE, load_code_lists(), lake)
    # 3 lines read: S1 and S2 valid, S3's impossible date quarantined
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (2, 1)
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(0,)]
    [(sha, loaded)] = con.execute("select file_sha256, rows_loaded from raw.loaded_files").fetchall()
    assert loaded == 2
    raw = pq.read_table(lake / "raw" / "ndtms_secure" / "extract_date=2023-06-30" / f"{sha}.parquet")
    assert raw.column_names == [
        *SECURE.column_names,
        "_source_file",
        "_file_sha256",
        "_line_number",
        "_extract_date",
        "_loaded_at",
    ]
    assert sorted(zip(raw["EPISODID"].to_pylist(), raw["_line_number"].to_pylist(), strict=True)) == [
        ("S1", 2),
        ("S2", 3),
    ]
    quarantined = pq.read_table(
        lake / "raw" / "quarantine" / "extract=ndtms_secure" / "extract_date=2023-06-30" / f"{sha}.parquet"
    )
    assert quarantined["line_number"].to_pylist() == [4]
    # the quarantine stays in DuckDB too: the gates and the validation report read it there
    assert con.execute("select line_number from raw.quarantine").fetchall() == [(4,)]
    assert len(files_of(lake, sha)) == 2


def test_a_failed_load_leaves_no_lake_file(tmp_path):
    real = duckdb.connect()

    class FullDisk:
        def __getattr__(self, name):
            return getattr(real, name)

        def execute(self, sql, *args):
            if sql.startswith("insert into raw.loaded_files"):
                raise duckdb.IOException("No space left on device")
            return real.execute(sql, *args)

    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    with pytest.raises(duckdb.IOException):
        load_extract(FullDisk(), tmp_path / "landing", SECURE, load_code_lists(), tmp_path / "lake")
    assert list((tmp_path / "lake").rglob("*.parquet")) == []
    real.close()


def test_withdrawing_a_file_removes_its_lake_files(con, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row(), secure_row(EPISODID="S2")])
    write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S3")])
    load_extract(con, landing, SECURE, load_code_lists(), lake)
    done = withdraw(con, "ndtms_secure/ndtms_secure_20230630.csv", "sent twice", "ann", lake)
    assert done.rows == 2
    left = sorted(p.parent.name for p in (lake / "raw" / "ndtms_secure").rglob("*.parquet"))
    assert left == ["extract_date=2023-09-30"]


def test_the_cluster_reads_each_extract_recursively_with_the_contract_schema(tmp_path):
    sql = raw_table_sql(tmp_path)
    secure = next(s for s in sql if s.startswith("create table raw.ndtms_secure"))
    assert "`EPISODID` string" in secure and "`_extract_date` date" in secure and "`_line_number` int" in secure
    assert f"options (recursiveFileLookup 'true') location '{tmp_path / 'raw' / 'ndtms_secure'}'" in secure
    assert any(s.startswith("create table raw.loaded_files using parquet") for s in sql)


def test_the_publication_runs_on_duckdb_and_the_rest_on_the_cluster():
    # what dagster-dbt passes: one --select and one --exclude, each a space-separated list
    args = ["build", "--exclude-resource-type", "unit_test", "--target", "spark_thrift"]
    args += ["--exclude", "tag:code_check", "--select", "fqn:*"]
    assert spark_args(args) == [
        "build", "--exclude-resource-type", "unit_test", "--target", "spark_thrift", "--select", "fqn:*",
        "--exclude", "tag:code_check path:models/publication",
    ]  # fmt: skip
    assert duckdb_args(args) == [
        "build", "--exclude-resource-type", "unit_test", "--exclude", "tag:code_check",
        "--select", "path:models/publication", "--target", "duckdb",
    ]  # fmt: skip
    # a narrower selection stays narrow: each selector within the publication
    assert duckdb_args(["build", "--select", "marts.phof_c20+ open_phof_c20"])[-4:] == [
        "--select", "marts.phof_c20+,path:models/publication open_phof_c20,path:models/publication",
        "--target", "duckdb",
    ]  # fmt: skip


def test_both_steps_results_are_one_run_results(tmp_path):
    path = tmp_path / "run_results.json"
    path.write_text('{"results": [{"unique_id": "model.continuity.open_phof_c20"}], "elapsed_time": 2.0}')
    merge_run_results({"results": [{"unique_id": "model.continuity.phof_c20"}], "elapsed_time": 3.0}, path)
    import json

    merged = json.loads(path.read_text())
    assert [r["unique_id"] for r in merged["results"]] == [
        "model.continuity.phof_c20",
        "model.continuity.open_phof_c20",
    ]
    assert merged["elapsed_time"] == 5.0
