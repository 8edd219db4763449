"""The engine comparison of `make test-spark` (pipelines/spark.py) and the dbt target setting.
These need no Spark: `make test-spark` runs the engines themselves."""

import datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from pipelines.dbt_runner import dbt_executable
from pipelines.dev.spark_check import compare_frames
from pipelines.settings import Settings
from pipelines.spark import mirror_to_duckdb

DBT_TARGET_ENV = "CONTINUITY_DBT_TARGET"


def duckdb_frame():
    # what DuckDB's .df() returns: Timestamps, nullable integers, floats, text, booleans
    return pd.DataFrame(
        {
            "financial_year": ["2023-24", "2024-25"],
            "period_end": pd.to_datetime(["2024-03-31", "2025-03-31"]),
            "denominator": pd.array([100, None], dtype="Int64"),
            "value_pct": [30.0, 12.5],
            "inreach": [True, False],
        }
    )


def spark_frame():
    # what Spark's toPandas() returns for the same rows, in another order
    return pd.DataFrame(
        {
            "financial_year": ["2024-25", "2023-24"],
            "period_end": [datetime.date(2025, 3, 31), datetime.date(2024, 3, 31)],
            "denominator": [None, Decimal(100)],
            "value_pct": [Decimal("12.5"), Decimal("30.0")],
            "inreach": [False, True],
        }
    )


def test_same_values_in_each_engines_types_and_order_are_identical():
    assert compare_frames(duckdb_frame(), spark_frame()) == []


def test_a_rate_within_1e_9_is_equal_and_beyond_it_is_not():
    close = spark_frame()
    close.loc[1, "value_pct"] = Decimal("30.0000000005")
    assert compare_frames(duckdb_frame(), close) == []
    far = spark_frame()
    far.loc[1, "value_pct"] = Decimal("30.000000002")
    assert compare_frames(duckdb_frame(), far) == [
        "value_pct: 1 rows differ, e.g. duckdb np.float64(30.0) vs spark np.float64(30.000000002)"
    ]


def test_a_count_a_date_a_null_and_a_missing_row_are_differences():
    count = spark_frame()
    count.loc[1, "denominator"] = Decimal(101)
    assert compare_frames(duckdb_frame(), count)[0].startswith("denominator: 1 rows differ")
    date = spark_frame()
    date.loc[0, "period_end"] = datetime.date(2025, 3, 30)
    assert compare_frames(duckdb_frame(), date)[0].startswith("period_end: 1 rows differ")
    null = spark_frame()
    null.loc[0, "financial_year"] = None
    # rows are matched by sorting, so a NULL that moves a row shows in other columns as well
    assert any(p.startswith("financial_year: 2 rows differ") for p in compare_frames(duckdb_frame(), null))
    assert compare_frames(duckdb_frame(), spark_frame().head(1)) == ["row counts differ: duckdb 2 vs spark 1"]
    assert compare_frames(duckdb_frame(), spark_frame().drop(columns="inreach"))[0].startswith("columns differ")


def test_the_dbt_target_is_a_setting_with_its_own_executable(monkeypatch):
    monkeypatch.delenv(DBT_TARGET_ENV, raising=False)
    assert Settings.from_env().dbt_target == "duckdb"
    monkeypatch.setenv(DBT_TARGET_ENV, "spark")
    assert Settings.from_env().dbt_target == "spark"
    assert dbt_executable("spark").endswith("continuity-dbt-spark")
    assert dbt_executable("duckdb").endswith("/continuity-dbt")  # dbt, guarded to die with the run
    monkeypatch.setenv(DBT_TARGET_ENV, "postgres")
    with pytest.raises(ValueError, match="must be one of duckdb, spark"):
        Settings.from_env()


class FakeSpark:
    """Just what mirror_to_duckdb uses of a Spark session: one staging relation, written as
    Parquet by DuckDB instead of Spark."""

    def __init__(self, rows: str):
        self.rows = rows
        self.catalog = SimpleNamespace(
            databaseExists=lambda schema: schema == "staging",
            listTables=lambda schema: [SimpleNamespace(name="stg_ndtms__interventions")],
        )

    def table(self, _name):
        def parquet(folder):
            Path(folder).mkdir(parents=True)
            duckdb.sql(f"copy ({self.rows}) to '{folder}/part-0.parquet' (format parquet)")

        return SimpleNamespace(write=SimpleNamespace(mode=lambda _m: SimpleNamespace(parquet=parquet)))


def test_a_spark_staging_view_replaces_the_duckdb_staging_view_as_a_table(tmp_path):
    # the warehouse was last built on DuckDB, where staging models are views
    warehouse = tmp_path / "c.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema staging")
        con.execute("create view staging.stg_ndtms__interventions as select 'M1' as intervention_id")
    copied = mirror_to_duckdb(FakeSpark("select 'M2' as intervention_id"), warehouse, tmp_path / "out")
    assert copied == ["staging.stg_ndtms__interventions"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kind = con.execute(
            "select table_type from information_schema.tables where table_name = 'stg_ndtms__interventions'"
        ).fetchall()
        rows = con.execute("select intervention_id from staging.stg_ndtms__interventions").fetchall()
    assert kind == [("BASE TABLE",)]
    assert rows == [("M2",)]
