"""Write-audit-publish in three tiers (indicators.md s.6), swapped in atomically as one whole:
a reader never sees half a publication, exports and reports can never disagree with the
marts they came from, and a failed run changes nothing.

    <output>/publications/<stamp>/open/          the open tier, for anyone (group-readable, read-only)
        marts.duckdb                              the disclosure-controlled aggregate tables
                                                  (dbt schema `publication`), as marts.<table>
        parquet/<table>.parquet                   the same tables
        exports/prp/, exports/phof/               CSV and Excel for people who receive files
        reports/                                  slide pack, local-area profiles, easy-read summary
        validation.html, validation.json          the validation report of the run
        notes.json                                what was published, when, and any accepted gate
    <output>/publications/<stamp>/partner/       the partner tier, for named partners under a
        partner_marts.duckdb, parquet/            data-sharing agreement (owner only, 0400 in 0700):
        exports/, reports/                        the aggregate tables too fine for open release
                                                  (dbt schema `partner`), their CSVs and slide pack
    <output>/publications/<stamp>/restricted/    record-level tables (owner only, 0400 in 0700)
        restricted_marts.duckdb                    continuity_releases, recording_issues, er_outcomes
        parquet/<table>/<financial year>.parquet   the same, one file per financial year (2024-25.parquet;
                                                  unknown.parquet for rows without one; an empty
                                                  table is one file of no rows, empty.parquet); a year
                                                  whose rows are unchanged since the publication
                                                  before is a hard link to its file, not a copy
        partitions.json                            each year file's digest, to compare with the next
    <output>/current -> publications/<stamp>     the one link that changes, in one rename
    <output>/published  -> current/open          fixed links, so the familiar paths follow it
    <output>/exports    -> current/open/exports
    <output>/reports    -> current/open/reports
    <output>/partner    -> current/partner
    <output>/restricted -> current/restricted
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

KEEP = 2  # publications kept: the current one and the one before
OPEN_SCHEMA = "publication"  # dbt's disclosure-controlled open tier (models/publication/open/)
PARTNER_SCHEMA = "partner"  # dbt's disclosure-controlled partner tier (models/publication/partner/)
PARTNER_NAME = "partner_marts.duckdb"
RESTRICTED_TABLES = ("continuity_releases", "recording_issues", "er_outcomes")  # record-level marts
RESTRICTED_NAME = "restricted_marts.duckdb"
# The restricted Parquet is written one file per financial year (the column each table keeps it
# in), so that a new quarter rewrites the years it changed and links the rest (issue 34).
RESTRICTED_PARTITIONS = {
    "continuity_releases": "financial_year",
    "recording_issues": "financial_year",
    "er_outcomes": "release_financial_year",
}
PARTITIONS_NAME = "partitions.json"
LINKS = {"published": "current/open", "exports": "current/open/exports", "reports": "current/open/reports"}
LINKS["partner"] = "current/partner"
LINKS["restricted"] = "current/restricted"

OPEN_FILE, OPEN_DIR = 0o440, 0o750
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700

# Builds the exports and reports of an open publication folder: (open folder) -> None.
Builder = Callable[[Path], None]


def published_path(output: Path) -> Path:
    return output / "published"


def partner_path(output: Path) -> Path:
    return output / "partner"


def restricted_path(output: Path) -> Path:
    return output / "restricted"


STORAGE_VERSION = "v1.1.0"  # published DuckDB files open in every DuckDB client from 1.1 on


def _tables(con, catalog: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? "
        "order by table_name",
        [catalog, schema],
    ).fetchall()
    return [r[0] for r in rows]


def _quote(text: str | None) -> str:
    return "'" + (text or "").replace("'", "''") + "'"


def _copy_tables(
    warehouse: Path,
    schema: str,
    tables: list[str] | None,
    target: Path,
    parquet: Path,
    memory_limit: str | None,
    keep_order: bool = True,
    partitions: Partitions | None = None,
) -> list[str]:
    """Copy warehouse `schema` tables (all, or those named) into `target` (written in an old
    storage version; opened as <name>.duckdb its tables read as <name>.<table>) with their
    table and column comments, and to Parquet with the descriptions in the schema metadata.
    Every row moves inside DuckDB (`create table ... as select` across attached databases,
    `COPY ... TO`); Python only ever sees a table's column names and types. Without
    `keep_order` DuckDB may write rows in any order (faster on the tens of millions of
    record-level rows, whose tables have no order to keep). A table named in `partitions` is
    written to Parquet one file per value of its partition column (`_write_partitions`)."""
    parquet.mkdir(parents=True, exist_ok=True)
    config: dict = {"preserve_insertion_order": keep_order}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    try:
        con.execute(f"attach {_quote(str(warehouse))} as warehouse (read_only)")
        con.execute(f"attach {_quote(str(target))} as pub (storage_version '{STORAGE_VERSION}')")
        names = [t for t in _tables(con, "warehouse", schema) if tables is None or t in tables]
        for table in names:
            con.execute(f"create table pub.main.{table} as select * from warehouse.{schema}.{table}")
            described = _comments(con, schema, table)
            if described["table"]:
                con.execute(f"comment on table pub.main.{table} is {_quote(described['table'])}")
            for column, text in described["columns"].items():
                con.execute(f'comment on column pub.main.{table}."{column}" is {_quote(text)}')
            rows = _parquet_rows(con, table)
            metadata = _parquet_metadata(con.sql(f"{rows} limit 0").arrow().schema, described)
            pairs = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in metadata.items())
            if partitions is not None and table in partitions.columns:
                _write_partitions(con, table, rows, pairs, parquet / table, partitions)
                continue
            path = _quote(str(parquet / f"{table}.parquet"))
            con.execute(f"copy ({rows}) to {path} (format parquet, kv_metadata {{{pairs}}})")
    finally:
        con.close()
    return names


class Partitions:
    """The restricted Parquet's year files: which column each table is split by, the digests
    of the publication before (its partitions.json) and where its files are, and what this
    publication wrote (`digests`)."""

    def __init__(self, columns: dict[str, str], previous: Path | None):
        self.columns = columns
        self.previous = previous
        known = previous / PARTITIONS_NAME if previous else None
        self.known: dict = json.loads(known.read_text()) if known and known.exists() else {}
        self.digests: dict[str, dict[str, str]] = {}

    def reusable(self, table: str, name: str, digest: str) -> Path | None:
        """The previous publication's file for this partition when its digest is this one."""
        if self.previous is None or self.known.get(table, {}).get(name) != digest:
            return None
        path = self.previous / "parquet" / table / name
        return path if path.is_file() else None


def _partition_file(value) -> str:
    """`2024/25` -> `2024-25.parquet`; rows without a year -> `unknown.parquet`."""
    return ("unknown" if value is None else str(value).replace("/", "-")) + ".parquet"


EMPTY_PARTITION = "empty.parquet"  # an empty table's one file: no rows, its columns and descriptions


def _write_partitions(con, table: str, rows: str, pairs: str, folder: Path, partitions: Partitions) -> None:
    """One Parquet file per value of the table's partition column (an empty table: one file of
    no rows, so its columns are still there to read). Each partition's digest is its row count
    and the sum of its rows' hashes (independent of row order) with the file's metadata (the
    descriptions and the Arrow schema) and the DuckDB that writes it; a partition whose digest
    equals the previous publication's is a hard link to that file (a copy where the file system
    cannot link), and only the others are written."""
    import hashlib

    column = partitions.columns[table]
    folder.mkdir(parents=True, exist_ok=True)
    found = con.execute(
        f'select "{column}", count(*), cast(sum(hash(r)) as varchar) from ({rows}) as r group by 1'
    ).fetchall()
    if not found:
        path = _quote(str(folder / EMPTY_PARTITION))
        con.execute(f"copy ({rows} limit 0) to {path} (format parquet, kv_metadata {{{pairs}}})")
        return
    names = [_partition_file(value) for value, _, _ in found]
    clashes = sorted({n for n in names if names.count(n) > 1 or n in ("", EMPTY_PARTITION)})
    if clashes:
        raise RuntimeError(f"{table}.{column}: two years would be written to the same file ({', '.join(clashes)})")
    digests = partitions.digests.setdefault(table, {})
    for (value, count, hashed), name in zip(found, names, strict=True):
        digest = hashlib.sha256(f"{count}|{hashed}|{pairs}|duckdb {duckdb.__version__}".encode()).hexdigest()
        digests[name] = digest
        reuse = partitions.reusable(table, name, digest)
        if reuse is not None:
            try:
                os.link(reuse, folder / name)
                continue
            except OSError:  # a file system without hard links: written again below
                pass
        where = f'"{column}" is null' if value is None else f'"{column}" = {_quote(str(value))}'
        path = _quote(str(folder / name))
        selected = f"select * from ({rows}) as r where {where}"
        con.execute(f"copy ({selected}) to {path} (format parquet, kv_metadata {{{pairs}}})")


def _parquet_rows(con, table: str) -> str:
    """The query a table's Parquet file is written from: every column as it is, except that a
    HUGEINT (a sum of integers) is written as DECIMAL(38,0), as Arrow writes it, not as the
    DOUBLE DuckDB's Parquet writer would make of it."""
    huge = con.execute(
        "select column_name from duckdb_columns() where database_name = 'pub' and table_name = ? "
        "and data_type in ('HUGEINT', 'UHUGEINT') order by column_index",
        [table],
    ).fetchall()
    if not huge:
        return f"select * from pub.main.{table}"
    casts = ", ".join(f'cast("{c}" as decimal(38, 0)) as "{c}"' for (c,) in huge)
    return f"select * replace ({casts}) from pub.main.{table}"


def _comments(con, schema: str, table: str) -> dict:
    rows = con.execute(
        "select comment from duckdb_tables() where database_name = 'warehouse' and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    columns = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'warehouse' "
        "and schema_name = ? and table_name = ? and comment is not null",
        [schema, table],
    ).fetchall()
    return {"table": rows[0][0] if rows else None, "columns": dict(columns)}


def _parquet_metadata(schema, described: dict) -> dict[str, str]:
    """The Parquet key-value metadata that carries the descriptions: the table's as
    `description`, and each column's in the Arrow schema (`ARROW:schema`, base64 IPC, as
    Arrow writers store it), so Arrow readers show them as field metadata."""
    import base64

    import pyarrow as pa

    fields = [
        field.with_metadata({"description": described["columns"][field.name]})
        if described["columns"].get(field.name)
        else field
        for field in schema
    ]
    arrow = pa.schema(fields, metadata={"description": described["table"] or ""})
    return {
        "ARROW:schema": base64.b64encode(arrow.serialize().to_pybytes()).decode(),
        "description": described["table"] or "",
    }


def _write_open(warehouse: Path, folder: Path, memory_limit: str | None = None) -> list[str]:
    tables = _copy_tables(warehouse, OPEN_SCHEMA, None, folder / "marts.duckdb", folder / "parquet", memory_limit)
    if not tables:
        raise RuntimeError(f"the warehouse has no {OPEN_SCHEMA} schema: run dbt before publishing")
    return tables


def _write_partner(warehouse: Path, folder: Path, memory_limit: str | None = None) -> list[str]:
    return _copy_tables(warehouse, PARTNER_SCHEMA, None, folder / PARTNER_NAME, folder / "parquet", memory_limit)


def _write_restricted(
    warehouse: Path, folder: Path, memory_limit: str | None = None, previous: Path | None = None
) -> list[str]:
    """The record-level marts: a DuckDB file (written whole: a DuckDB file shares no pages with
    another) and Parquet one file per financial year, the years unchanged since the `previous`
    restricted folder linked, not copied; their digests in partitions.json."""
    partitions = Partitions(RESTRICTED_PARTITIONS, previous)
    tables = list(RESTRICTED_TABLES)
    names = _copy_tables(
        warehouse,
        "marts",
        tables,
        folder / RESTRICTED_NAME,
        folder / "parquet",
        memory_limit,
        keep_order=False,
        partitions=partitions,
    )
    (folder / PARTITIONS_NAME).write_text(json.dumps(partitions.digests, indent=1, sort_keys=True) + "\n")
    return names


def _previous_restricted(output: Path) -> Path | None:
    """The current publication's restricted folder, whose unchanged year files a new one links."""
    current = output / "current"
    folder = current.resolve() / "restricted" if current.is_symlink() else None
    return folder if folder is not None and folder.is_dir() else None


def _seal(folder: Path, file_mode: int, dir_mode: int) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.chmod(dir_mode)
        else:
            path.chmod(file_mode)
    folder.chmod(dir_mode)


def _unseal(folder: Path) -> None:
    """Make a sealed publication removable again: its folders writable. Its files keep their
    modes (removing a file needs only its folder writable): a restricted year file may be a
    hard link shared with the current publication, whose mode must stay read-only."""
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(stat.S_IRWXU)
    folder.chmod(stat.S_IRWXU)


def _point(output: Path, stamp: str) -> None:
    """Swap `current` to the new publication in one rename, then make sure the fixed links
    exist. A folder left where a link belongs by an older version is moved aside, never
    deleted: it may hold something the pipeline did not write."""
    staging_link = output / f".current.{stamp}"
    os.symlink(Path("publications") / stamp, staging_link)
    os.replace(staging_link, output / "current")  # atomic: readers see the old or the new
    for name, target in LINKS.items():
        link = output / name
        if link.is_symlink():
            if os.readlink(link) == target:
                continue
        elif link.exists():
            link.rename(output / f"{name}.before-{stamp}")
        tmp = output / f".{name}.{stamp}"
        os.symlink(target, tmp)
        os.replace(tmp, link)


def _prune(releases: Path, keep: Path) -> None:
    done = sorted(p for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[:-KEEP]:
        if old != keep:
            _unseal(old)
            shutil.rmtree(old, ignore_errors=True)
    for leftover in releases.glob(".*.building"):  # a run killed mid-publication
        _unseal(leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def _build(output: Path, fill: Callable[[Path, Path], list[str]], builders: list[Builder], notes: dict) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    output.mkdir(parents=True, exist_ok=True)
    releases = output / "publications"
    releases.mkdir(exist_ok=True, mode=OPEN_DIR)
    building = releases / f".{stamp}.building"
    open_dir, partner_dir, restricted_dir = building / "open", building / "partner", building / "restricted"
    open_dir.mkdir(parents=True, mode=OPEN_DIR)
    partner_dir.mkdir(mode=PRIVATE_DIR)
    restricted_dir.mkdir(mode=PRIVATE_DIR)
    tables = fill(open_dir, partner_dir, restricted_dir)
    # the notes first: every export and report states what it was made from (and if synthetic)
    (open_dir / "notes.json").write_text(
        json.dumps({"published_at": stamp, "tables": tables, **notes}, indent=1, default=str) + "\n"
    )
    for build in builders:
        build(open_dir)
    _seal(restricted_dir, stat.S_IRUSR, PRIVATE_DIR)
    _seal(partner_dir, stat.S_IRUSR, PRIVATE_DIR)
    _seal(open_dir, OPEN_FILE, OPEN_DIR)
    building.chmod(OPEN_DIR)
    final = releases / stamp
    building.rename(final)
    _point(output, stamp)
    _prune(releases, keep=final)
    return final


def publish(
    warehouse: Path,
    output: Path,
    report_folder: Path | None = None,
    builders: list[Builder] | None = None,
    notes: dict | None = None,
    memory_limit: str | None = None,
) -> Path:
    """Build a whole new publication beside the old one (open, partner and restricted marts,
    validation report, then each builder: exports, reports, given the open folder; the partner
    folder is beside it), then point `current` at it. memory_limit: the run's DuckDB memory
    limit for the copying connection."""

    previous = _previous_restricted(output)

    def fill(open_dir: Path, partner_dir: Path, restricted_dir: Path) -> list[str]:
        tables = _write_open(warehouse, open_dir, memory_limit)
        _write_partner(warehouse, partner_dir, memory_limit)
        _write_restricted(warehouse, restricted_dir, memory_limit, previous)
        if report_folder is not None:
            for name in ("validation.html", "validation.json"):
                if (report_folder / name).exists():
                    shutil.copyfile(report_folder / name, open_dir / name)
        return tables

    return _build(output, fill, builders or [], notes or {})


def republish(output: Path, builders: list[Builder], notes: dict | None = None) -> Path:
    """A new publication with the current one's marts and validation report and freshly built
    exports and reports (the exports-only job): the same atomic swap as `publish`."""
    current = (output / "current").resolve()
    if not (current / "open" / "marts.duckdb").exists():
        raise RuntimeError(f"{output} holds no publication to rebuild the exports from")

    def fill(open_dir: Path, partner_dir: Path, restricted_dir: Path) -> list[str]:
        for name in ("marts.duckdb", "parquet", "validation.html", "validation.json"):
            _copy_any(current / "open" / name, open_dir / name)
        for name in (PARTNER_NAME, "parquet"):
            _copy_any(current / "partner" / name, partner_dir / name)
        for path in (current / "restricted").iterdir():  # record level, unchanged: linked
            _copy_any(path, restricted_dir / path.name, link=True)
        previous = json.loads((current / "open" / "notes.json").read_text())
        return previous.get("tables", [])

    return _build(output, fill, builders, {"republished_from": current.name, **(notes or {})})


def _copy_any(source: Path, target: Path, link: bool = False) -> None:
    """Copy a file or folder; with `link`, hard-link its files instead (sealed read-only files
    that the pipeline never writes in place, so two publications can share them), copying where
    the file system cannot link."""
    copy = _link_or_copy if link else shutil.copyfile
    if source.is_dir():
        shutil.copytree(source, target, copy_function=copy)
    elif source.exists():
        copy(source, target)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
