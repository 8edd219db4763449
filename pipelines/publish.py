"""Write-audit-publish: copy the validated marts to a read-only publication, swapped in
atomically, so a reader never sees half a publication and a failed run changes nothing.

    <output>/publications/<stamp>/marts.duckdb       every table of schema marts (as marts.<table>)
    <output>/publications/<stamp>/parquet/<t>.parquet one file per mart
    <output>/publications/<stamp>/validation.{html,json}
    <output>/published -> publications/<stamp>      a symlink, replaced in one rename
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import duckdb

KEEP = 2  # publications kept: the current one and the one before


def published_path(output: Path) -> Path:
    return output / "published"


def mart_tables(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)


def publish(warehouse: Path, output: Path, report_folder: Path | None = None, notes: list[dict] | None = None) -> Path:
    """Build a new publication beside the old one, then point `published` at it. `notes`
    (the publication gates an analyst accepted, with who, why and when) go to notes.json."""
    tables = mart_tables(warehouse)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    releases = output / "publications"
    releases.mkdir(parents=True, exist_ok=True, mode=0o700)
    building = releases / f".{stamp}.building"
    (building / "parquet").mkdir(parents=True, mode=0o700)
    con = duckdb.connect(str(building / "marts.duckdb"))
    try:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        # tables go in the file's main schema: opened as marts.duckdb, `marts.phof_c20` names
        # them (catalog marts), exactly as in the warehouse
        for table in tables:
            con.execute(f"create table main.{table} as select * from warehouse.marts.{table}")
            con.execute(f"copy main.{table} to '{building / 'parquet' / f'{table}.parquet'}' (format parquet)")
        con.execute("detach warehouse")
    finally:
        con.close()
    if report_folder is not None:
        for name in ("validation.html", "validation.json"):
            if (report_folder / name).exists():
                shutil.copy2(report_folder / name, building / name)
    if notes:
        (building / "notes.json").write_text(json.dumps({"accepted_gates": notes}, indent=2, default=str))
    _read_only(building)
    final = releases / stamp
    building.rename(final)
    link = published_path(output)
    staging_link = output / f".published.{stamp}"
    os.symlink(Path("publications") / stamp, staging_link)
    os.replace(staging_link, link)  # atomic: readers see the old or the new publication
    _prune(releases, keep=final)
    return final


def _prune(releases: Path, keep: Path) -> None:
    done = sorted(p for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[:-KEEP]:
        if old != keep:
            for path in old.rglob("*"):
                if path.is_file():
                    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
            shutil.rmtree(old, ignore_errors=True)
    for leftover in releases.glob(".*.building"):  # a run killed mid-publication
        shutil.rmtree(leftover, ignore_errors=True)
