"""Jobs, the quarterly schedule and the landing-folder sensor."""

import json

import dagster as dg

from dagster_project.settings import Settings
from pipelines.contract import EXTRACTS
from pipelines.load import sha256_of

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
quarterly_schedule = dg.ScheduleDefinition(
    name="quarterly_after_ndtms_submission",
    cron_schedule="0 6 15 2,5,8,11 *",
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


@dg.sensor(
    job=full_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a full refresh when a new or changed file lands; the cursor holds each file's name and "
    "sha256, so a file is never processed twice.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    settings = Settings.from_env()
    seen: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    current, new = {}, []
    for name, (size, mtime) in landing_files(settings).items():
        previous = seen.get(name)
        if previous and previous[0] == size and previous[1] == mtime:
            current[name] = previous  # unchanged: no need to hash again
            continue
        digest = sha256_of(settings.landing / name)
        current[name] = [size, mtime, digest]
        if not previous or previous[2] != digest:
            new.append(f"{name}:{digest}")
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not new:
        return dg.SkipReason("no new landing files")
    return dg.RunRequest(run_key="|".join(sorted(new)), tags={"continuity/new_files": str(len(new))})
