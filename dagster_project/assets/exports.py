"""Disclosure-controlled exports, written from the validated publication only."""

import dagster as dg

from dagster_project.resources import WarehouseResource
from pipelines.exports import write_exports
from pipelines.publish import published_path


@dg.asset(
    key="exports",
    group_name="exports",
    deps=["publication"],
    owners=["team:continuity-data"],
    kinds={"csv", "excel"},
    description=(
        "PRP inequality breakdown tables (CSV per outcome and adjustment, one Excel workbook with a sheet per "
        "outcome and a notes sheet) and the PHOF 2.16 tables (CSV), disclosure controlled, under <output>/exports."
    ),
)
def exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    with warehouse.connect(read_only=True) as con:
        dates = con.execute(
            "select extract, max(extract_date) from raw.loaded_files group by extract order by extract"
        ).fetchall()
    vintage = "Latest extract dates: " + ", ".join(f"{e} {d}" for e, d in dates) if dates else "No extracts loaded."
    folder = write_exports(published_path(settings.output), settings.output, vintage)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return dg.MaterializeResult(metadata={"path": str(folder), "files": ", ".join(files)})
