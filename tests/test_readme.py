"""The README's checkable claims (issue 37): the published tables and the staging layer's
materialisation are what the code makes. (Verbose output and exit codes: tests/test_cli.py.)"""

import re

import yaml

from pipelines.contract import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()


def _row(first_cell: str) -> str:
    [row] = [line for line in README.splitlines() if line.startswith(f"| {first_cell} |")]
    return row


def test_the_published_tables_list_names_every_open_table():
    models = PROJECT_DIR / "models" / "publication"
    open_tables = {p.stem.removeprefix("open_") for p in (models / "open").glob("open_*.sql")}
    listed = set(re.findall(r"`([a-z0-9_]+)`", _row("`<output>/published/`")))
    assert len(open_tables) >= 6 and open_tables - listed == set()
    partner_tables = {p.stem.removeprefix("partner_") for p in (models / "partner").glob("partner_*.sql")}
    listed = set(re.findall(r"`([a-z0-9_]+)`", _row("`<output>/partner/`")))
    assert len(partner_tables) >= 5 and partner_tables - listed == set()


def test_the_staging_schema_is_described_as_it_is_materialised():
    staging = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["models"]["continuity"]["staging"]
    assert "incremental" in staging["+materialized"]  # on DuckDB; Spark builds tables
    row = _row("schema `staging`")
    assert "incremental tables" in row and "views" not in row
