"""Each column described once (issue 37): a column name means one thing in every model that
carries it, written once as a docs block (models/docs/columns.md) and used by every model."""

import collections
import json

from pipelines.dbt_runner import MANIFEST, ensure_manifest


def _descriptions() -> dict[str, set[str]]:
    ensure_manifest()
    manifest = json.loads(MANIFEST.read_text())
    found = collections.defaultdict(set)
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            for name, column in node["columns"].items():
                found[name].add(" ".join(column["description"].split()))
    return found


def test_a_column_name_has_one_description_across_models():
    found = _descriptions()
    assert len(found) > 150  # every model's columns were read
    differing = {name: sorted(texts) for name, texts in found.items() if len(texts) > 1}
    assert differing == {}


def test_the_shared_descriptions_are_the_docs_blocks():
    found = _descriptions()
    # geography_code had 8 descriptions in 10 models; now the docs block's one
    assert found["geography_code"] == {
        "The row's area: E92000001 for England, the region (E12...), the upper-tier local authority (GSS code), "
        "or the prison (ESTAB)."
    }
    assert all("staging layer only" not in text for text in found["attributor_key"])
