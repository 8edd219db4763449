"""Every setting of a deployment, as one typed object: the only reader of the environment.

Each field is one variable, with its default and what it does; `Settings.from_env()` reads
them (when a run, a command or a dbt child starts, never when a module is imported), and
docs/settings.md is generated from the same fields (`python -m pipelines.settings`), so the
list there is complete by construction. The Dagster resources (dagster_project/resources.py)
resolve against these values when a run starts, and dbt gets what it needs of them as
`--vars` (`dbt_vars`); nothing here writes the process environment.

Run-time choices that belong to one run (accepted gates, a full refresh) are not settings:
they are Dagster run configuration (the `run_choices` resource).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipelines.contract import DEFAULT_WAREHOUSE, PROJECT_DIR

DBT_TARGETS = ("duckdb", "spark", "spark_thrift")  # docs/scale-out.md
SPARK_TARGETS = ("spark", "spark_thrift")
WAREHOUSE_POOL = "duckdb_warehouse"  # every asset that writes the warehouse; limit 1
DEFAULT_LANDING = PROJECT_DIR / "data" / "landing"


def _setting(variable: str, default, doc: str, *, secret: bool = False, shown: str | None = None):
    """A field read from `variable`; `shown` is the default as the docs say it."""
    return field(
        default=default,
        repr=not secret,
        metadata={"env": variable, "doc": doc, "secret": secret, "shown": shown},
    )


@dataclass(frozen=True)
class Settings:
    """Where a run reads and writes, and how it reports: one deployment's configuration."""

    landing: Path = _setting(
        "CONTINUITY_LANDING",
        DEFAULT_LANDING,
        "The landing folder: `<landing>/<extract>/<extract>_<YYYYMMDD>.csv`.",
        shown="`data/landing` in the project",
    )
    warehouse: Path = _setting(
        "CONTINUITY_WAREHOUSE",
        DEFAULT_WAREHOUSE,
        "The working DuckDB warehouse (personal data, owner only); its pseudonymisation key file "
        "`<warehouse>.key` and run lock `<warehouse>.lock` lie beside it.",
        shown="`warehouse/continuity.duckdb` in the project",
    )
    output: Path | None = _setting(
        "CONTINUITY_OUTPUT",
        None,
        "Where the publication, exports, reports, validation reports and logs go.",
        shown="the warehouse's folder",
    )
    dbt_target: str = _setting(
        "CONTINUITY_DBT_TARGET",
        "duckdb",
        "The engine dbt builds on: `duckdb`, `spark` (a local Spark session) or `spark_thrift` (a Spark cluster's "
        "Thrift server) (docs/scale-out.md).",
    )
    # one DuckDB memory limit for every step (loader, dbt, checks, gates, publication): with
    # the Python processes around it (the Dagster process, ~0.7 GB; in the dbt build the
    # disclosure solve's arrays, up to 2 GB at scale 30) a run stays near 4 GB (3.2 GB at scale
    # 10, 4.25 GB at scale 30); DuckDB spills to disk beyond it. 3GB let scale 30 reach 5.1 GB,
    # for no speed (docs/benchmarks.md).
    memory_limit: str = _setting("CONTINUITY_MEMORY_LIMIT", "2GB", "DuckDB's memory limit, for every step of a run.")
    validation_keep: int = _setting(
        "CONTINUITY_VALIDATION_KEEP", 20, "How many runs' validation reports are kept, newest first."
    )
    max_file_bytes: int = _setting(
        "CONTINUITY_MAX_FILE_BYTES",
        1024**3,
        "A landing file larger than this is rejected before it is read (memory stays bounded).",
        shown="1073741824 (1 GiB)",
    )
    pseudo_key: str | None = _setting(
        "CONTINUITY_PSEUDO_KEY",
        None,
        "The secret key of the pseudonymous person keys, at least 32 characters. Unset: the first run on a "
        "warehouse makes a random 256-bit key in `<warehouse>.key` (owner only) and later runs reuse it "
        "(docs/disclosure.md).",
        secret=True,
        shown="unset: the warehouse's own key file",
    )
    alert_webhook: str = _setting("CONTINUITY_ALERT_WEBHOOK", "", "A URL that receives each alert as a JSON POST.")
    smtp_host: str = _setting("CONTINUITY_SMTP_HOST", "", "SMTP server for alert emails (empty: no email).")
    smtp_port: int = _setting("CONTINUITY_SMTP_PORT", 25, "SMTP port.")
    email_from: str = _setting("CONTINUITY_ALERT_EMAIL_FROM", "continuity@localhost", "The sender of alert emails.")
    email_to: str = _setting("CONTINUITY_ALERT_EMAIL_TO", "", "Comma-separated recipients of alert emails.")
    alert_attempts: int = _setting(
        "CONTINUITY_ALERT_ATTEMPTS",
        5,
        "Sensor ticks an alert is tried on before it is given up with an error in the sensor's and the daemon's log.",
    )
    ui_port: int = _setting("UI_PORT", 3000, "The port `make ui` serves the Dagster UI on.")
    ui_url: str = _setting(
        "CONTINUITY_UI_URL",
        "",
        "The Dagster UI's address, for the absolute links in alerts.",
        shown="`http://127.0.0.1:<UI_PORT>`",
    )
    dagster_home: str = _setting(
        "DAGSTER_HOME",
        "",
        "Dagster's own instance folder: when set, `continuity run` records its runs there (and the UI shows "
        "them); unset, a CLI run uses a temporary instance.",
    )
    spark_dir: Path | None = _setting(
        "CONTINUITY_SPARK_DIR",
        None,
        "The Spark session's folder (metastore, Spark warehouse, raw Parquet, mirror).",
        shown="`spark/` beside the warehouse",
    )
    spark_master: str = _setting("CONTINUITY_SPARK_MASTER", "local[2]", "The Spark master of the session.")
    spark_memory: str = _setting("CONTINUITY_SPARK_MEMORY", "4g", "The Spark driver's memory.")
    spark_threads: int = _setting("CONTINUITY_SPARK_THREADS", 2, "dbt threads on Spark.")
    raw_parquet: Path | None = _setting(
        "CONTINUITY_RAW_PARQUET",
        None,
        "A folder of raw Parquet tables for Spark to read instead of a fresh export of the warehouse's raw schema.",
        shown="unset: a fresh export",
    )
    spark_host: str = _setting(
        "CONTINUITY_SPARK_HOST", "127.0.0.1", "The Spark Thrift server's host (target `spark_thrift`)."
    )
    spark_port: int = _setting("CONTINUITY_SPARK_PORT", 10000, "The Spark Thrift server's port.")
    spark_user: str = _setting("CONTINUITY_SPARK_USER", "continuity", "The user dbt connects to the Thrift server as.")
    spark_auth: str = _setting(
        "CONTINUITY_SPARK_AUTH",
        "NONE",
        "The Thrift server's authentication: `NONE`, `NOSASL`, `LDAP`, `KERBEROS` or `CUSTOM` (dbt-spark's `auth`).",
    )
    spark_schema: str = _setting(
        "CONTINUITY_SPARK_SCHEMA",
        "continuity",
        "The default schema of the `spark_thrift` target (layers keep their own).",
    )
    lake: Path | None = _setting(
        "CONTINUITY_LAKE",
        None,
        "With `spark_thrift`: the folder the loader writes the raw rows and quarantine to as Parquet, read by the "
        "cluster as the `raw` schema (pipelines/lake.py); it must be a path the cluster reads at the same name.",
        shown="`lake/` beside the warehouse",
    )
    spark_mirror: bool = _setting(
        "CONTINUITY_SPARK_MIRROR",
        True,
        "After a Spark build, copy the built tables into the DuckDB warehouse (`0`: do not).",
        shown="1",
    )

    def __post_init__(self) -> None:
        if self.dbt_target not in DBT_TARGETS:
            raise ValueError(
                f"CONTINUITY_DBT_TARGET={self.dbt_target!r}: the dbt target must be one of {', '.join(DBT_TARGETS)}"
            )
        for name in ("landing", "warehouse"):
            object.__setattr__(self, name, Path(getattr(self, name)).resolve())
        if self.output is None:
            object.__setattr__(self, "output", self.warehouse.parent)
        else:
            object.__setattr__(self, "output", Path(self.output).resolve())

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """The settings of this process: each variable when set (and not empty), else its
        default; then `overrides` that are not None or empty (a command's arguments, a
        launchpad field). The output follows an overridden warehouse unless it is set."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            text = environ.get(f.metadata["env"], "")
            if text != "":
                values[f.name] = _parse(f, text)
        values.update({k: v for k, v in overrides.items() if v is not None and v != ""})
        return cls(**values)

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def ui_link(self) -> str:
        """The UI's absolute address, without a trailing slash."""
        return (self.ui_url or f"http://127.0.0.1:{self.ui_port}").rstrip("/")

    @property
    def key_file(self) -> Path:
        """The warehouse's own pseudonymisation key, used when CONTINUITY_PSEUDO_KEY is unset."""
        return self.warehouse.with_name(self.warehouse.name + ".key")

    @property
    def spark_folder(self) -> Path:
        return Path(self.spark_dir or self.warehouse.parent / "spark").resolve()

    @property
    def raw_lake(self) -> Path | None:
        """Where the loader writes the raw rows: the lake with the cluster target, else None
        (the DuckDB warehouse's raw schema)."""
        if self.dbt_target != "spark_thrift":
            return None
        return Path(self.lake or self.warehouse.parent / "lake").resolve()

    def dbt_vars(self) -> dict[str, str | int]:
        """What a dbt process needs of these settings, as `--vars` (profiles.yml reads them):
        the process environment is never changed to pass them, and the key never travels."""
        return {
            "continuity_warehouse": str(self.warehouse),
            "continuity_memory_limit": self.memory_limit,
            "continuity_spark_threads": self.spark_threads,
            "continuity_spark_host": self.spark_host,
            "continuity_spark_port": self.spark_port,
            "continuity_spark_user": self.spark_user,
            "continuity_spark_auth": self.spark_auth,
            "continuity_spark_schema": self.spark_schema,
        }


def _parse(f: dataclasses.Field, text: str):
    kind = str(f.type)
    if "bool" in kind:
        return text.strip().lower() not in ("0", "false", "no", "off")
    if "int" in kind:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{f.metadata['env']}={text!r}: a whole number is needed") from None
    if "Path" in kind:
        return Path(text)
    return text


def child_environment(**extra: str) -> dict[str, str]:
    """The environment a child process starts with: this one's, plus `extra`."""
    return {**os.environ, **extra}


def markdown() -> str:
    """docs/settings.md: every variable once, with its default and what it does."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for f in fields(Settings):
        default = f.metadata["shown"] or (f"`{f.default}`" if f.default not in ("", None) else "empty")
        rows.append(f"| `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    head = (
        "# Settings\n\n"
        "Every variable the pipeline reads, generated from `pipelines/settings.py` (`python -m "
        "pipelines.settings > docs/settings.md`; a test keeps them equal). A variable is read when a run "
        "or command starts; an empty value counts as unset. In the Dagster UI the `warehouse` and `alerts` "
        "resources show the same fields: a field left empty in the launchpad keeps this deployment's value.\n\n"
    )
    return head + "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
