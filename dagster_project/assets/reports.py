"""The slide pack and easy-read summary, rebuilt from each successful publication."""

import dagster as dg

from dagster_project.resources import WarehouseResource
from pipelines.publish import published_path
from pipelines.reports import build_reports


@dg.asset(
    key="reports",
    group_name="exports",
    deps=["publication"],
    owners=["team:continuity-data"],
    kinds={"pptx", "html", "pdf"},
    description=(
        "A slide pack (PPTX and self-contained HTML) and an easy-read summary (HTML and PDF) under "
        "<output>/reports, built from the published marts alone; every sub-national number disclosure controlled."
    ),
)
def reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    files = build_reports(published_path(settings.output), settings.output / "reports")
    return dg.MaterializeResult(metadata={k: str(v) for k, v in files.items()})
