"""The publication, its exports and its reports: one step, one atomic swap
(pipelines/publish.py), so the files people receive can never disagree with the published
marts. Materialised only when every blocking check of every mart and suite passed."""

import json

import dagster as dg

from dagster_project.assets.validation import SUITES, report_folder
from dagster_project.catalogue import describe_files
from dagster_project.dbt_project import DBT_PROJECT
from dagster_project.resources import RunChoices, WarehouseResource
from pipelines.exports import write_exports, write_partner_exports
from pipelines.publish import publish, republish
from pipelines.reports import build_reports
from pipelines.settings import WAREHOUSE_POOL
from pipelines.state import current_key, warehouse_digest
from pipelines.synthetic import is_synthetic

PUBLICATION, EXPORTS, REPORTS = dg.AssetKey("publication"), dg.AssetKey("exports"), dg.AssetKey("reports")


def _guarded_keys() -> list[dg.AssetKey]:
    """Every mart and disclosure-controlled model, and every asset a suite guards."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    keys = {
        dg.AssetKey([n["name"]])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] in ("marts", "publication")
    }
    keys |= {dg.AssetKey([s["asset"]]) for s in SUITES}
    return sorted(keys, key=lambda k: k.path)


def _provenance(warehouse: WarehouseResource) -> dict:
    """What the publication was made from, for its notes and every output's footer: the
    latest extract date of each extract, the files, and whether it is synthetic data."""
    settings = warehouse.settings
    with warehouse.connect(read_only=True) as con:
        # what a later run compares with to find it has nothing new (pipelines/state.py)
        state = warehouse_digest(con, settings.dbt_target, current_key(settings))
        dates = con.execute(
            "select extract, max(extract_date) from raw.loaded_files group by extract order by extract"
        ).fetchall()
        files = con.execute(
            "select source_file, file_sha256, extract_date from raw.loaded_files order by source_file"
        ).fetchall()
        # the label follows the data, whatever the key: every file loaded is the generator's
        synthetic = is_synthetic(con, settings.landing)
    vintage = "Latest extract dates: " + ", ".join(f"{e} {d}" for e, d in dates) if dates else "No extracts loaded."
    return {
        "vintage": vintage,
        "latest_extract_dates": {e: str(d) for e, d in dates},
        "extract_files": [{"file": f, "sha256": sha, "extract_date": str(d)} for f, sha, d in files],
        "synthetic": synthetic,  # pipelines/synthetic.py
        "state": state,
    }


def _builders(vintage: str) -> list:
    def exports(open_dir):
        write_exports(open_dir, open_dir / "exports", vintage)
        partner = open_dir.parent / "partner"
        write_partner_exports(partner, partner / "exports")

    def reports(open_dir):
        # the partner pack goes into the partner tier's own reports folder
        build_reports(open_dir, open_dir / "reports", partner=open_dir.parent / "partner")

    return [exports, reports]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PUBLICATION,
            deps=_guarded_keys(),
            group_name="publish",
            owners=["team:continuity-data"],
            kinds={"duckdb", "parquet"},
            description=(
                "The publication in two tiers: published/ (the open tier: disclosure-controlled aggregate marts as "
                "marts.duckdb and Parquet, the validation report) and restricted/ (record-level marts, owner only); "
                "swapped in atomically with its exports and reports, only when every blocking check passed."
            ),
        ),
        dg.AssetSpec(
            EXPORTS,
            deps=[PUBLICATION],
            group_name="exports",
            owners=["team:continuity-data"],
            kinds={"csv", "excel"},
            description=(
                "PRP inequality breakdown tables (CSV per outcome and adjustment, one Excel workbook) and the PHOF "
                "2.16 tables (CSV), from the open publication, under `<output>/exports`."
            ),
        ),
        dg.AssetSpec(
            REPORTS,
            deps=[PUBLICATION],
            group_name="exports",
            owners=["team:continuity-data"],
            kinds={"pptx", "html", "pdf"},
            description=(
                "A slide pack (PPTX and HTML) and an easy-read summary (HTML and PDF) from the open publication, "
                "under `<output>/reports`."
            ),
        ),
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource, run_choices: RunChoices):
    settings = warehouse.settings
    # the publication gates an analyst accepted for this run (dagster_project/assets/gates.py)
    notes = {"run_id": context.run_id, **_provenance(warehouse), "accepted_gates": run_choices.accepted()}
    vintage = notes["vintage"]
    if PUBLICATION in context.selected_asset_keys:
        folder = publish(
            settings.warehouse,
            settings.output,
            report_folder(settings, context.run_id),
            builders=_builders(vintage),
            notes=notes,
            memory_limit=settings.memory_limit,
        )
    else:  # the exports-only job: a new publication from the current one's marts
        folder = republish(settings.output, _builders(vintage), notes=notes)
    paths = {PUBLICATION: folder / "open", EXPORTS: folder / "open" / "exports", REPORTS: folder / "open" / "reports"}
    # every table of every tier, with its rows and columns (types and descriptions), for the catalogue
    tables = describe_files(folder) if PUBLICATION in context.selected_asset_keys else {}
    for key in (PUBLICATION, EXPORTS, REPORTS):
        if key in context.selected_asset_keys:
            metadata = {"path": str(paths[key]), "publication": folder.name}
            yield dg.MaterializeResult(asset_key=key, metadata=metadata | (tables if key == PUBLICATION else {}))
