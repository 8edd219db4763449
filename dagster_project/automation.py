"""Jobs, the quarterly schedule and the landing-folder sensor."""

import hashlib

import dagster as dg
import duckdb

from dagster_project.resources import WarehouseResource
from pipelines.contract import EXTRACTS
from pipelines.load import sha256_of
from pipelines.settings import Settings

full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=dg.AssetSelection.all(),
    description="Load every new landing file, build and test every dbt model, validate, publish, export.",
    executor_def=dg.in_process_executor,  # one process: dbt starts once, DuckDB has one writer
    tags={"dagster/max_retries": "1"},  # retried once if the run process dies (not on data failures)
)

exports_only_job = dg.define_asset_job(
    "exports_only",
    selection=dg.AssetSelection.assets("exports", "reports"),
    description="Rewrite the disclosure-controlled exports and the reports from the current publication.",
    executor_def=dg.in_process_executor,
)

# NDTMS data for a quarter is complete about six weeks after it ends: run mid-month after that.
# The one place the day is written: the marts' freshness deadline (dbt_project.py) is that day too.
SUBMISSION_DAY = "15 2,5,8,11 *"  # cron day-of-month, months, day-of-week
quarterly_schedule = dg.ScheduleDefinition(
    name="quarterly_after_ndtms_submission",
    cron_schedule=f"0 6 {SUBMISSION_DAY}",
    execution_timezone="Europe/London",
    job=full_refresh_job,
    description="06:00 on 15 February, May, August and November: after each NDTMS quarterly submission.",
)


def landing_files(settings: Settings) -> dict[str, tuple[int, int]]:
    """Every candidate file of the landing folder: relative path -> (size, mtime_ns)."""
    found = {}
    for extract in EXTRACTS:
        folder = settings.landing / extract.name
        if folder.is_dir():
            for path in sorted(folder.glob("*.csv")):
                if path.is_file() and not path.is_symlink():
                    stat = path.stat()
                    found[f"{extract.name}/{path.name}"] = (stat.st_size, stat.st_mtime_ns)
    return found


def _digest(parts: list[str], length: int = 16) -> str:
    """A short sha256 of some strings: run keys and the cursor stay a few bytes long."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:length]


def loaded_files(warehouse: WarehouseResource) -> set[tuple[str, str]] | None:
    """(source_file, sha256) of every file the warehouse has loaded; empty before the first
    run; None while a run holds the warehouse (DuckDB: one process per file while it writes)."""
    if not warehouse.settings.warehouse.exists():
        return set()
    try:
        with warehouse.connect(read_only=True) as con:
            return set(con.execute("select source_file, file_sha256 from raw.loaded_files").fetchall())
    except duckdb.CatalogException:
        return set()
    except duckdb.Error:
        return None


@dg.sensor(
    job=full_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a full refresh when a landing file is new or changed, compared with raw.loaded_files: "
    "switching it on requests nothing for files already loaded. The cursor is a digest of the folder listing "
    "(names, sizes, times), so an unchanged folder is not read again; the run key is a digest of the new files.",
)
def landing_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    settings = warehouse.settings
    files = landing_files(settings)
    listing = _digest([f"{name}:{size}:{mtime}" for name, (size, mtime) in files.items()])
    if context.cursor == listing:
        return dg.SkipReason("the landing folder has not changed")
    loaded = loaded_files(warehouse)
    if loaded is None:  # the cursor stays, so the next tick looks again
        return dg.SkipReason("the warehouse is busy (a run is writing it); looking again next tick")
    hashed = {name: sha256_of(settings.landing / name) for name in files}
    new = sorted(f"{name}:{digest}" for name, digest in hashed.items() if (name, digest) not in loaded)
    context.update_cursor(listing)
    if not new:
        return dg.SkipReason(f"every one of the {len(files)} landing file(s) is already loaded")
    return dg.RunRequest(
        run_key=_digest(new), tags={"continuity/new_files": str(len(new)), "continuity/first_new_file": new[0][:200]}
    )
