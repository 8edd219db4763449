"""Nothing new, nothing done: what a publication was made from, and whether a run would
change it.

Every publication records in its notes.json a `state` digest of everything its figures
depend on: each file the warehouse holds (extract, name, sha256, extract date, rows) and
each withdrawal, the code that turns them into outputs (dbt models, macros, seeds, the
expectations, the runtime Python and its templates), the dbt engine, and a fingerprint of the
pseudonymisation key. Before it starts, `continuity run` asks `nothing_new`: when every
landing file is already loaded under its name (or withdrawn), no gate is being accepted, and
the warehouse's digest equals the current publication's, the run would publish the same
thing again, so it says so and ends in seconds, leaving the publication as it is. Anything
else (a new or changed file, a rejected file still in the landing folder, a withdrawal or its
undoing, a changed model, a failed last run that left no publication) runs the pipeline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import EXTRACTS, PROJECT_DIR
from pipelines.load import RejectedFile, discover, sha256_of

# What the outputs are made by, relative to the project: a change to any of these files runs
# the pipeline again even when no extract changed.
CODE_PARTS = (
    "dbt_project.yml",
    "models",
    "macros",
    "seeds",
    "tests/generic",
    "expectations",
    "pipelines",
    "dagster_project",
)
CODE_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".html", ".j2", ".css", ".txt", ".md")


def code_digest(root: Path = PROJECT_DIR) -> str:
    """sha256 over the path and content of every file the outputs are made by."""
    digest = hashlib.sha256()
    for part in CODE_PARTS:
        base = root / part
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix not in CODE_SUFFIXES:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key_fingerprint(key: str | None) -> str:
    """Which pseudonymisation key the person keys were made with, without revealing it."""
    return hashlib.sha256(b"continuity-state\0" + (key or "").encode()).hexdigest()[:16]


def warehouse_digest(con, dbt_target: str, key: str | None, root: Path = PROJECT_DIR) -> str:
    """The state digest of a warehouse: its files, withdrawals, the code, engine and key."""
    files = con.execute(
        "select extract, source_file, file_sha256, cast(extract_date as varchar), rows_loaded "
        "from raw.loaded_files order by all"
    ).fetchall()
    withdrawals = con.execute(
        "select file_sha256, cast(withdrawn_at as varchar), cast(undone_at as varchar) "
        "from raw.withdrawn_files order by all"
    ).fetchall()
    state = {
        "files": files,
        "withdrawals": withdrawals,
        "code": code_digest(root),
        "engine": dbt_target,
        "key": key_fingerprint(key),
    }
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def unseen_landing_files(con, landing: Path) -> list[str]:
    """Landing files the loader would read: not loaded under this name with this content, and
    not withdrawn. An unreadable folder or file counts as unseen (the run will say why)."""
    loaded = set(con.execute("select source_file, file_sha256 from raw.loaded_files").fetchall())
    withdrawn = {
        sha for (sha,) in con.execute("select file_sha256 from raw.withdrawn_files where undone_at is null").fetchall()
    }
    unseen = []
    for extract in EXTRACTS:
        try:
            _, paths = discover(landing, extract)
        except RejectedFile:
            unseen.append(f"{extract.name}/")
            continue
        for path in paths:
            source_file = f"{extract.name}/{path.name}"
            try:
                sha = sha256_of(path)
            except OSError:
                unseen.append(source_file)
                continue
            if (source_file, sha) not in loaded and sha not in withdrawn:
                unseen.append(source_file)
    return unseen


BUILD_DDL = "create table if not exists raw.build_state (state varchar, started_at timestamp, finished_at timestamp)"


def build_started(con, state: str) -> None:
    """The dbt build of this state begins: until build_finished, the warehouse's models are
    not known to match any state, so no run is skipped."""
    con.execute(BUILD_DDL)
    con.execute("delete from raw.build_state")
    con.execute("insert into raw.build_state values (?, now(), null)", [state])


def build_finished(con) -> None:
    con.execute(BUILD_DDL)
    con.execute("update raw.build_state set finished_at = now()")


def built_state(con) -> str | None:
    """The state the warehouse's models were last built from in full, or None."""
    import duckdb

    try:
        rows = con.execute("select state from raw.build_state where finished_at is not null").fetchall()
    except duckdb.CatalogException:  # a warehouse never built since the table came in
        return None
    return rows[0][0] if rows else None


@dataclass
class Unchanged:
    """The current publication a run would only repeat."""

    published_at: str
    folder: Path


def nothing_new(landing: Path, warehouse: Path, output: Path, dbt_target: str, key: str | None) -> Unchanged | None:
    """The current publication when a run on this landing folder would change nothing, else
    None. Reads the warehouse read-only; a busy or missing warehouse means "run"."""
    import duckdb

    notes_path = output / "published" / "notes.json"
    if not warehouse.is_file() or not notes_path.is_file():
        return None
    try:
        notes = json.loads(notes_path.read_text())
    except (OSError, ValueError):
        return None
    if not notes.get("state"):
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        if unseen_landing_files(con, landing):
            return None
        state = warehouse_digest(con, dbt_target, key)
        # the publication and the warehouse's models were both made from this state (a run
        # killed during dbt leaves the build unfinished, so the next run builds again)
        if state != notes["state"] or built_state(con) != state:
            return None
    except duckdb.Error:  # an older warehouse without the ingest tables
        return None
    finally:
        con.close()
    return Unchanged(_when(str(notes.get("published_at", ""))), output / "published")


def _when(stamp: str) -> str:
    """A publication's folder stamp (20261202T193121275983Z) as 2026-12-02 19:31 UTC."""
    from datetime import datetime

    try:
        return datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


def current_key(settings) -> str | None:
    """The pseudonymisation key of these settings' warehouse (pipelines/pseudonymise.py), or
    None before its first run made one; never made here."""
    from pipelines.pseudonymise import secret_key

    key = secret_key(settings, create=False)
    return key.decode("utf-8") if key else None
