"""Pseudonymous person keys: HMAC-SHA256 of the normalised attributors (indicators.md s.6).

The key comes from ``CONTINUITY_PSEUDO_KEY`` and must be at least 32 characters. A public
development key exists for the generator's synthetic sample only, and only while the
warehouse has never held anything else (docs/disclosure.md):

- the landing folder carries the generator's marker, SYNTHETIC.json, listing every file it
  wrote with its sha256 (an empty or hand-made marker lists nothing and allows nothing);
- every file the warehouse ever held (raw.loaded_files, and raw.withdrawn_files for files
  withdrawn since) is one a marker listed; the listed files are recorded in raw.synthetic_files, so a warehouse
  built from several synthetic samples stays allowed and one that held real data never is.

When the policy allows it (``check_key_policy`` returns its note), the run tells dbt so with
the var ``continuity_dev_key_ok`` (profiles.yml hands it to the plugin below); a bare dbt call
may set ``CONTINUITY_DEV_KEY_OK=1`` instead. Nothing writes the process environment. The
same function is registered in DuckDB as ``continuity_person_key(varchar)`` by the dbt-duckdb
plugin below, so SQL and Python can never disagree on a key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

KEY_ENV = "CONTINUITY_PSEUDO_KEY"
DEV_OK_ENV = "CONTINUITY_DEV_KEY_OK"  # read by a bare dbt call only; never written
DEV_KEY_VAR = "continuity_dev_key_ok"  # the dbt var a run passes when the policy allows the development key
DEVELOPMENT_KEY = "continuity-development-key-synthetic-data-only"
MIN_KEY_LENGTH = 32

SYNTHETIC_MARKER = "SYNTHETIC.json"  # written by `continuity generate` into its landing folder
EXTRACT_GLOB = "*/*.csv"  # the landing files a marker lists: <extract folder>/<file>.csv


class MissingKeyError(RuntimeError):
    pass


def write_marker(landing: Path, generator: dict) -> Path:
    """The generator's marker: its settings and every file it wrote, with size and sha256."""
    from pipelines.load import sha256_of

    files = {
        str(path.relative_to(landing)): {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
        for path in sorted(landing.glob(EXTRACT_GLOB))
    }
    marker = landing / SYNTHETIC_MARKER
    marker.write_text(json.dumps({**generator, "files": files}, indent=1) + "\n")
    return marker


def read_marker(landing: Path) -> dict[str, dict]:
    """The files a valid marker lists ({} when there is no marker or it lists nothing)."""
    try:
        marker = json.loads((Path(landing) / SYNTHETIC_MARKER).read_text())
    except (OSError, ValueError):
        return {}
    files = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(files, dict):
        return {}
    return {
        name: entry
        for name, entry in files.items()
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
    }


def _refuse(reason: str) -> MissingKeyError:
    return MissingKeyError(
        f"{KEY_ENV} is not set and {reason}: set a secret key of at least {MIN_KEY_LENGTH} characters "
        f"in {KEY_ENV} before running on real extracts (the development key is for the generator's "
        "synthetic sample only, in a warehouse that never held anything else)"
    )


def _foreign_loaded_files(warehouse: Path, listed: dict[str, dict]) -> list[str]:
    """Files the warehouse loaded that no generator marker listed; records this marker's files."""
    import duckdb

    if not Path(warehouse).exists():
        return []
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists raw")
        con.execute(
            "create table if not exists raw.synthetic_files (file_sha256 varchar, source_file varchar, "
            "recorded_at timestamp default current_timestamp)"
        )
        # every file the warehouse ever held: loaded, and withdrawn (withdrawing a file removes
        # it from raw.loaded_files but not from the warehouse's history)
        history = [
            f"select source_file, file_sha256 from raw.{table}"
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name in ('loaded_files', 'withdrawn_files') order by table_name"
            ).fetchall()
        ]
        foreign = []
        if history:
            known = {entry["sha256"] for entry in listed.values()}
            known |= {r[0] for r in con.execute("select file_sha256 from raw.synthetic_files").fetchall()}
            rows = con.execute(" union ".join(history)).fetchall()
            foreign = sorted({name for name, sha in rows if sha not in known})
        if not foreign:
            recorded = {r[0] for r in con.execute("select file_sha256 from raw.synthetic_files").fetchall()}
            new = [(e["sha256"], name) for name, e in listed.items() if e["sha256"] not in recorded]
            if new:
                con.executemany("insert into raw.synthetic_files (file_sha256, source_file) values (?, ?)", new)
    finally:
        con.close()
    return foreign


def check_key_policy(landing, warehouse=None) -> str | None:
    """Decide which key this run uses, or refuse (indicators.md s.6).

    With CONTINUITY_PSEUDO_KEY set: the key, if it is at least 32 characters. Without it: the
    development key, only when the landing folder is the generator's (every CSV listed in its
    marker with the same size) and every file the warehouse ever loaded is a listed one. The
    dbt step calls this again after ingestion, when the warehouse holds this run's files."""
    key = os.environ.get(KEY_ENV)
    if key is not None:
        if len(key.strip()) < MIN_KEY_LENGTH:
            raise MissingKeyError(
                f"{KEY_ENV} is shorter than {MIN_KEY_LENGTH} characters: use a long random secret "
                "(for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return None
    landing = Path(landing)
    listed = read_marker(landing)
    if not listed:
        raise _refuse(f"{landing} holds no valid generator marker ({SYNTHETIC_MARKER} listing its files)")
    for path in sorted(landing.glob(EXTRACT_GLOB)):
        entry = listed.get(str(path.relative_to(landing)))
        if entry is None or entry.get("bytes") != path.stat().st_size:
            raise _refuse(f"{path} is not a file the generator wrote")
    if warehouse is not None:
        foreign = _foreign_loaded_files(Path(warehouse), listed)
        if foreign:
            raise _refuse(
                f"the warehouse {warehouse} has held {len(foreign)} file(s) the generator did not write "
                f"(e.g. {foreign[0]})"
            )
    return (
        f"note: {KEY_ENV} is not set; using the development key because {landing} holds "
        "the generator's synthetic sample. Set the key for real data."
    )


def secret_key(development_allowed: bool | None = None) -> bytes:
    """The key person keys are made with. Without CONTINUITY_PSEUDO_KEY, the development key
    when the run's policy allowed it (`development_allowed`, passed to dbt as the var
    continuity_dev_key_ok) or, for a bare dbt call, CONTINUITY_DEV_KEY_OK=1."""
    key = os.environ.get(KEY_ENV)
    if key:
        if len(key.strip()) < MIN_KEY_LENGTH:
            raise MissingKeyError(f"{KEY_ENV} is shorter than {MIN_KEY_LENGTH} characters")
        return key.encode("utf-8")
    if development_allowed is None:
        development_allowed = os.environ.get(DEV_OK_ENV) == "1"
    if development_allowed:
        return DEVELOPMENT_KEY.encode("utf-8")
    raise MissingKeyError(
        f"{KEY_ENV} is not set: person keys need a secret key on real data "
        "(the development key is only used on the generator's synthetic sample)"
    )


def person_key(attributor_key: str | None, key: bytes | None = None) -> str | None:
    """HMAC-SHA256 (hex) of an attributor key such as 'A|B|1990-01-31|1'."""
    if attributor_key is None:
        return None
    return hmac.new(key or secret_key(), attributor_key.encode("utf-8"), hashlib.sha256).hexdigest()


def allowed_flag(value) -> bool | None:
    """A `dev_key_ok` setting as a decision: None when unset (then the environment decides)."""
    text = str(value or "").strip().lower()
    return None if not text else text in ("1", "true", "yes")


def _register(conn, development_allowed: bool | None = None) -> None:
    import duckdb
    import pyarrow as pa

    key = None

    def udf(values):
        nonlocal key
        key = key or secret_key(development_allowed)
        return pa.array([person_key(v, key) for v in values.to_pylist()], type=pa.string())

    conn.create_function(
        "continuity_person_key",
        udf,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        side_effects=False,
    )


try:  # the dbt-duckdb plugin; absent when dbt-duckdb is not installed
    from dbt.adapters.duckdb.plugins import BasePlugin

    class Plugin(BasePlugin):
        """Registers continuity_person_key on every dbt connection. Its profile config
        `dev_key_ok` carries the run's key decision (profiles.yml, from the dbt vars)."""

        def initialize(self, plugin_config: dict) -> None:
            self.development_allowed = allowed_flag(plugin_config.get("dev_key_ok"))

        def configure_connection(self, conn) -> None:
            _register(conn, self.development_allowed)

except ImportError:  # pragma: no cover
    pass
