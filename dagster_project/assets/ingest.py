"""One ingestion asset per extract type: landing CSVs -> raw.<extract> (+ quarantine)."""

import dagster as dg

from dagster_project.resources import WarehouseResource
from dagster_project.settings import WAREHOUSE_POOL
from pipelines.contract import EXTRACTS, Extract, load_code_lists
from pipelines.load import load_extract


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
        with warehouse.connect() as con:
            summary = load_extract(con, settings.landing, extract, load_code_lists())
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
            }
        )

    return _asset


INGEST_ASSETS = [_ingest_asset(e) for e in EXTRACTS]

# Written by every ingestion asset as it loads a file; the dbt source of int_extract_dates.
# Declared here so the lineage shows where it comes from (it is not materialised on its own).
LOADED_FILES = dg.AssetSpec(
    key=["raw", "loaded_files"],
    deps=[a.key for a in INGEST_ASSETS],
    group_name="ingest",
    owners=["team:continuity-data"],
    kinds={"duckdb"},
    description=(
        "One row per landing file the ingestion assets loaded (or skipped as already loaded): its name, "
        "sha256, extract date and row counts. Written by the `raw/<extract>` assets as they load."
    ),
)
