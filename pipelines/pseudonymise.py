"""Pseudonymous person keys: HMAC-SHA256 of the normalised attributors (indicators.md s.6).

The key comes from ``CONTINUITY_PSEUDO_KEY``. A development key exists for the synthetic
sample only: the CLI sets ``CONTINUITY_DEV_KEY_OK=1`` when (and only when) it runs on data the
generator marked as synthetic, and says so. Without either, computing a key is an error.

The same function is registered in DuckDB as ``continuity_person_key(varchar)`` by the
dbt-duckdb plugin below, so SQL and Python can never disagree on a key.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_ENV = "CONTINUITY_PSEUDO_KEY"
DEV_OK_ENV = "CONTINUITY_DEV_KEY_OK"
DEVELOPMENT_KEY = "continuity-development-key-synthetic-data-only"


SYNTHETIC_MARKER = "SYNTHETIC.json"  # written by `continuity generate` into its landing folder


class MissingKeyError(RuntimeError):
    pass


def check_key_policy(landing) -> str | None:
    """Refuse real data without CONTINUITY_PSEUDO_KEY; allow the development key on the
    generator's synthetic sample (its SYNTHETIC.json marker) and return a note saying so."""
    from pathlib import Path

    if os.environ.get(KEY_ENV):
        os.environ.pop(DEV_OK_ENV, None)
        return None
    if (Path(landing) / SYNTHETIC_MARKER).exists():
        os.environ[DEV_OK_ENV] = "1"
        return (
            f"note: {KEY_ENV} is not set; using the development key because {landing} holds "
            "the generator's synthetic sample. Set the key for real data."
        )
    os.environ.pop(DEV_OK_ENV, None)
    raise MissingKeyError(
        f"{KEY_ENV} is not set and {landing} is not the generator's synthetic sample: "
        "set a secret key for pseudonymous person keys before running on real extracts"
    )


def secret_key() -> bytes:
    key = os.environ.get(KEY_ENV)
    if key:
        return key.encode("utf-8")
    if os.environ.get(DEV_OK_ENV) == "1":
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


def _register(conn) -> None:
    import duckdb
    import pyarrow as pa

    key = None

    def udf(values):
        nonlocal key
        key = key or secret_key()
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
        def configure_connection(self, conn) -> None:
            _register(conn)

except ImportError:  # pragma: no cover
    pass
