"""One ingestion asset per extract type: landing CSVs -> raw.<extract> (+ quarantine)."""

import dagster as dg

from dagster_project.catalogue import describe
from dagster_project.resources import WarehouseResource
from pipelines.contract import EXTRACTS, Extract, load_code_lists
from pipelines.load import load_extract
from pipelines.settings import WAREHOUSE_POOL


def _ingest_asset(extract: Extract) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", extract.name],
        group_name="ingest",
        pool=WAREHOUSE_POOL,
        owners=["team:continuity-data"],
        kinds={"polars", "duckdb"},
        description=(
            f"Validated rows of every `{extract.name}_<YYYYMMDD>.csv` in the landing folder "
            f"({extract.description}), all versions, with lineage columns; rows that break "
            "the contract go to raw.quarantine and unreadable files to raw.rejected_files."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = warehouse.settings
        if not settings.landing.is_dir():
            raise dg.Failure(
                description=f"The landing folder {settings.landing} does not exist: set CONTINUITY_LANDING (or the "
                "warehouse resource's `landing` in the launchpad, or `continuity run --landing`) to the folder "
                "holding `<extract>/<extract>_<YYYYMMDD>.csv`.",
                metadata={"landing": str(settings.landing)},
                allow_retries=False,
            )
        # the settings this run resolved (launchpad fields over the deployment's), in its log
        context.log.info(f"landing {settings.landing}; warehouse {settings.warehouse}; output {settings.output}")
        with warehouse.connect() as con:
            # on a Spark cluster the raw rows go to the lake it reads (pipelines/lake.py), not to DuckDB
            summary = load_extract(con, settings.landing, extract, load_code_lists(), settings.raw_lake)
            table = describe(con, "raw", extract.name)  # row count and columns, for the catalogue
        for f in summary.rejected:
            context.log.error(f"{f.source_file} rejected: {f.reason}")
        for f in summary.files:
            for w in f.warnings:
                context.log.warning(f"{f.source_file}: {w}")
        context.log.info(summary.line())
        return dg.MaterializeResult(
            metadata={
                "folder_present": summary.folder_present,
                "files": len(summary.files),
                "rows_loaded": summary.total("rows_loaded"),
                "rows_quarantined": summary.total("rows_quarantined"),
                "files_skipped": len(summary.skipped),
                "files_rejected": len(summary.rejected),
                "rejected": "; ".join(f"{f.source_file}: {f.reason}" for f in summary.rejected),
                "summary": summary.line(),
                **table,
            }
        )

    return _asset


INGEST_ASSETS = [_ingest_asset(e) for e in EXTRACTS]


@dg.asset(
    key=["raw", "loaded_files"],
    deps=[a.key for a in INGEST_ASSETS],
    group_name="ingest",
    pool=WAREHOUSE_POOL,
    owners=["team:continuity-data"],
    kinds={"duckdb"},
    description=(
        "One row per landing file the ingestion assets loaded (or skipped as already loaded): its name, "
        "sha256, extract date and row counts; the dbt source of int_extract_dates. Written by the "
        "`raw/<extract>` assets as they load; this step records what it holds after them."
    ),
)
def loaded_files(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as con:
        return dg.MaterializeResult(metadata=describe(con, "raw", "loaded_files"))


LOADED_FILES = loaded_files
