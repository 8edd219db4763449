"""Pseudonymous person keys: HMAC-SHA256 of the normalised attributors (indicators.md s.6).

No key is written in the code. The key is `CONTINUITY_PSEUDO_KEY` when it is set (at least
32 characters; the development key earlier versions shipped is refused). Without it, the
first run on a warehouse makes a random 256-bit key and keeps it beside the warehouse in
`<warehouse>.key` (owner only, 0600), and every later run on that warehouse reuses it: person
keys stay the same from quarter to quarter, and two warehouses never share keys by accident.
The key is never printed, logged, passed as a dbt var or published (docs/disclosure.md).

The same function is registered in DuckDB as ``continuity_person_key(varchar)`` by the
dbt-duckdb plugin below (profiles.yml gives it the run's warehouse, so it finds the same key),
and on Spark by pipelines/spark.py, so SQL and Python can never disagree on a key.

Whether outputs say "synthetic data" does not depend on the key: pipelines/synthetic.py.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pipelines.settings import Settings

KEY_ENV = "CONTINUITY_PSEUDO_KEY"
MIN_KEY_LENGTH = 32
KEY_BYTES = 32  # 256 bits, written as 64 hexadecimal characters
# sha256 of the public development key of earlier versions: given as a key, it is refused
RETIRED_KEYS_SHA256 = frozenset({"12763d7b3ee5d20b7587cedf6d3b41ac7b83393234f742088d57eb0f00877ad2"})


class KeyRefused(RuntimeError):
    """The key given cannot be used."""


def checked(key: str, where: str = KEY_ENV) -> str:
    """`key` when it may be used, else KeyRefused saying why (never the key itself)."""
    if hashlib.sha256(key.strip().encode()).hexdigest() in RETIRED_KEYS_SHA256:
        raise KeyRefused(
            f"{where} is the public development key of earlier versions, which anyone can read: "
            f"unset {KEY_ENV} (each warehouse then makes its own key) or set a secret of your own"
        )
    if len(key.strip()) < MIN_KEY_LENGTH:
        raise KeyRefused(
            f"{where} is shorter than {MIN_KEY_LENGTH} characters: use a long random secret "
            "(for example the output of `python3 -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return key


def check_key_policy(settings: Settings) -> None:
    """Refuse a run at once when its configured key cannot be used (before anything is read)."""
    if settings.pseudo_key is not None:
        checked(settings.pseudo_key)
    elif settings.key_file.exists():
        checked(settings.key_file.read_text(), str(settings.key_file))


def _create_key_file(path: Path) -> None:
    """A new random key, owner only; an existing file (another process made it first) stays."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


def secret_key(settings: Settings, create: bool = True) -> bytes | None:
    """The key person keys are made with on this warehouse: CONTINUITY_PSEUDO_KEY, else the
    warehouse's key file (made now when `create`; None when it does not exist and not `create`)."""
    if settings.pseudo_key is not None:
        return checked(settings.pseudo_key).encode("utf-8")
    path = settings.key_file
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return checked(path.read_text().strip(), str(path)).encode("utf-8")


def person_key(attributor_key: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 (hex) of an attributor key such as 'A|B|1990-01-31|1'."""
    if attributor_key is None:
        return None
    return hmac.new(key, attributor_key.encode("utf-8"), hashlib.sha256).hexdigest()


def _register(conn, warehouse: str | None) -> None:
    import duckdb
    import pyarrow as pa

    key = None

    def udf(values):
        nonlocal key  # read when first used: a dbt call that makes no person key needs none
        key = key or secret_key(Settings.from_env(warehouse=warehouse))
        return pa.array([person_key(v, key) for v in values.to_pylist()], type=pa.string())

    conn.create_function(
        "continuity_person_key",
        udf,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        side_effects=False,
    )


def __getattr__(name: str):
    """`Plugin`, the dbt-duckdb plugin, made when dbt-duckdb asks for it (importing dbt takes
    seconds: `continuity run` reads the key without it, and a run with nothing new ends
    before dbt is needed)."""
    if name != "Plugin":
        raise AttributeError(name)
    from dbt.adapters.duckdb.plugins import BasePlugin

    class Plugin(BasePlugin):
        """Registers continuity_person_key on every dbt connection. Its profile config
        `warehouse` is the run's warehouse (profiles.yml), whose key it uses."""

        def initialize(self, plugin_config: dict) -> None:
            self.warehouse = plugin_config.get("warehouse") or None

        def configure_connection(self, conn) -> None:
            _register(conn, self.warehouse)

    globals()["Plugin"] = Plugin
    return Plugin
