"""The raw lake: validated raw rows and quarantined lines as Parquet files a Spark cluster
reads, written by the loader when dbt builds on a cluster (`spark_thrift`, docs/scale-out.md).

    <lake>/raw/<extract>/extract_date=<YYYY-MM-DD>/<sha256>.parquet          raw.<extract>
    <lake>/raw/quarantine/extract=<extract>/extract_date=<YYYY-MM-DD>/<sha256>.parquet

One file per landing file, named by its content's sha256, with the columns and lineage
columns of the DuckDB raw tables (pipelines/load.py), so a file loaded again (after a crash
before its load was recorded) replaces itself, and withdrawing a file removes exactly its
rows. Partitions are folders for people and for pruning by hand; the cluster reads each
table's folder recursively with the schema from the contract (`raw_table_sql`), so every
column is in the file and an extract with no files yet is an empty table.

What the loader did (raw.loaded_files, raw.rejected_files, raw.withdrawn_files, and the
quarantine again for the publication gates and the validation report) stays in the DuckDB
warehouse: file-level bookkeeping, no landing row passes through it. `export_ingest_tables`
copies the bookkeeping tables to `<lake>/ingest/<table>/` for the cluster before each build.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date
from pathlib import Path

RAW = "raw"
QUARANTINE = "quarantine"
INGEST_TABLES = ("loaded_files", "rejected_files", "withdrawn_files")
LINEAGE_TYPES = {
    "_source_file": "string",
    "_file_sha256": "string",
    "_line_number": "int",
    "_extract_date": "date",
    "_loaded_at": "timestamp",
}
QUARANTINE_TYPES = {
    "source_file": "string",
    "line_number": "int",
    "column_name": "string",
    "reason": "string",
    "raw_line": "string",
    "extract": "string",
    "file_sha256": "string",
    "quarantined_at": "timestamp",
}


def raw_file(lake: Path, extract: str, extract_date: date, sha: str) -> Path:
    return lake / RAW / extract / f"extract_date={extract_date.isoformat()}" / f"{sha}.parquet"


def quarantine_file(lake: Path, extract: str, extract_date: date, sha: str) -> Path:
    return (
        lake / RAW / QUARANTINE / f"extract={extract}" / f"extract_date={extract_date.isoformat()}" / f"{sha}.parquet"
    )


def _write(table, path: Path) -> None:
    """One Parquet file, written beside its place and renamed into it: never half a file."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)


def write_file(lake: Path, extract: str, extract_date: date, sha: str, raw_rows, quarantine_rows) -> list[Path]:
    """One landing file's valid rows and quarantined lines (Arrow tables, in the DuckDB raw
    tables' columns) into the lake; returns the files written (for `remove` if the load is
    not recorded)."""
    written = [raw_file(lake, extract, extract_date, sha)]
    _write(raw_rows, written[0])
    if quarantine_rows.num_rows:
        written.append(quarantine_file(lake, extract, extract_date, sha))
        _write(quarantine_rows, written[1])
    return written


def remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def files_of(lake: Path, sha: str) -> list[Path]:
    """Every lake file of one landing file (its raw rows and its quarantined lines)."""
    return sorted((lake / RAW).glob(f"**/{sha}.parquet")) if (lake / RAW).is_dir() else []


def export_ingest_tables(warehouse: Path, lake: Path) -> None:
    """The loader's bookkeeping tables of the DuckDB warehouse as `<lake>/ingest/<table>/part-0.parquet`."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in INGEST_TABLES:
            folder = lake / "ingest" / table
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            con.execute(f"copy raw.{table} to '{folder / 'part-0.parquet'}' (format parquet)")
    finally:
        con.close()


def _columns(types: dict[str, str]) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in types.items())


def raw_table_sql(lake: Path) -> list[str]:
    """Spark SQL registering the lake as the `raw` schema: one external table per extract and
    the quarantine (read recursively, schema from the contract), and the bookkeeping tables."""
    from pipelines.contract import EXTRACTS

    statements = ["create database if not exists raw"]
    tables = {e.name: {**{c: "string" for c in e.column_names}, **LINEAGE_TYPES} for e in EXTRACTS}
    tables[QUARANTINE] = QUARANTINE_TYPES
    for name, types in tables.items():
        location = (lake / RAW / name).resolve()
        location.mkdir(parents=True, exist_ok=True, mode=0o700)
        statements += [
            f"drop table if exists raw.{name}",
            f"create table raw.{name} ({_columns(types)}) using parquet "
            f"options (recursiveFileLookup 'true') location '{location}'",
        ]
    for name in INGEST_TABLES:
        statements += [
            f"drop table if exists raw.{name}",
            f"create table raw.{name} using parquet location '{(lake / 'ingest' / name).resolve()}'",
        ]
    return statements
