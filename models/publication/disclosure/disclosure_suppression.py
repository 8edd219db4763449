"""Which published count is hidden, and why (indicators.md s.4; docs/disclosure.md).

Primary suppression of small numbers, then complementary suppression solved over every
relation of disclosure_relations until integer interval propagation - what a reader holding
the open and partner tiers can derive - pins no hidden count. The solver is
pipelines/suppression.py; this model only hands it the two tables and the rule's vars.
One row per published cell: cell_key, table_name, row_key, measure, reason ('shown',
'small': small numbers, 'protect': hidden to protect another cell, 'row': hidden with its
row's base or its value). Partial-period cells are not published and are not listed.
"""


# DuckDB's memory limit while the solve runs. The solve's arrays live in this process beside
# DuckDB's buffers, which still hold the pages every model before it read, up to the run's
# limit (2 GB by default): lowering the limit evicts them at once (later models read them
# from the file again), and the process's peak falls by as much (docs/decisions.md,
# "Performance"). DuckDB keeps up to its limit (at scale 30 the tree peaked at 4,185 MiB with
# 512 MB here); 256 MB still leaves room for a data test dbt runs beside this model.
SOLVE_MEMORY_LIMIT = "256MB"


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.suppression import earliest_quarter_of, solve_tables

    cells = dbt.ref("disclosure_cells").pl()
    relations = dbt.ref("disclosure_relations").pl()
    labels = dbt.ref("int_c20_period_labels").pl()
    session.execute(f"set memory_limit = '{SOLVE_MEMORY_LIMIT}'")
    try:
        decided = solve_tables(
            cells,
            relations,
            min_count=int(dbt.config.get("disclosure_min_count")),
            rounding_base=int(dbt.config.get("disclosure_rounding_base")),
            earliest_quarter=earliest_quarter_of(labels),
        )
    finally:
        session.execute(f"set memory_limit = '{dbt.config.get('memory_limit')}'")
    return decided.to_arrow()
