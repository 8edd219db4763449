"""What the Dagster catalogue shows of every table an asset writes: its row count and its
column schema, each column with its type and its description. Descriptions come from the
dbt project (the model and source YAML, one description per column name: docs blocks in
models/docs/), so the UI shows types and descriptions together."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import dagster as dg

from pipelines.dbt_runner import MANIFEST


@cache
def column_descriptions() -> dict[str, str]:
    """Column name (lower case) -> its description, from every model, seed and source of the manifest."""
    try:
        manifest = json.loads(Path(MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        for name, column in (node.get("columns") or {}).items():
            if column.get("description"):
                found.setdefault(name.lower(), " ".join(column["description"].split()))
    return found


def describe(con, schema: str, table: str) -> dict:
    """Row count and column schema (name, type, description) of one table, as asset metadata."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not columns:
        return {}
    rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    described = column_descriptions()
    schema_value = dg.TableSchema(
        columns=[dg.TableColumn(name, kind, description=described.get(name.lower())) for name, kind in columns]
    )
    return {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema_value),
    }


def describe_files(folder: Path) -> dict:
    """Every table of every DuckDB file under a publication folder (open, partner, restricted
    tiers): `<file>:<table>` -> its column schema, and its row count beside it."""
    import duckdb

    found = {}
    for path in sorted(folder.rglob("*.duckdb")):
        where = str(path.relative_to(folder))
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables order by table_schema, table_name"
            ).fetchall()
            for schema, table in tables:
                meta = describe(con, schema, table)
                if meta:
                    found[f"{where}:{table} rows"] = meta["dagster/row_count"]
                    found[f"{where}:{table}"] = meta["dagster/column_schema"]
        finally:
            con.close()
    return found
