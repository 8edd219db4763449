"""Whether a warehouse holds the generator's synthetic data: the label follows the data.

`continuity generate` writes a marker, SYNTHETIC.json, into its landing folder: its settings
and every file it wrote with its size and sha256. A publication is labelled "Synthetic data"
(notes.json `synthetic`, which every export and report reads) exactly when every file the
warehouse has loaded, withdrawn ones included, is listed in that marker with its sha256,
whatever the pseudonymisation key. One other file, and the label goes.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "SYNTHETIC.json"
EXTRACT_GLOB = "*/*.csv"  # the landing files a marker lists: <extract folder>/<file>.csv


def write_marker(landing: Path, generator: dict) -> Path:
    """The generator's marker: its settings and every file it wrote, with size and sha256."""
    from pipelines.load import sha256_of

    files = {
        str(path.relative_to(landing)): {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
        for path in sorted(landing.glob(EXTRACT_GLOB))
    }
    marker = landing / MARKER
    marker.write_text(json.dumps({**generator, "files": files}, indent=1) + "\n")
    return marker


def listed_files(landing: Path) -> set[tuple[str, str]]:
    """(file, sha256) of every file a valid marker in `landing` lists (none without one)."""
    try:
        marker = json.loads((Path(landing) / MARKER).read_text())
    except (OSError, ValueError):
        return set()
    files = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(files, dict):
        return set()
    return {
        (name, entry["sha256"])
        for name, entry in files.items()
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
    }


def is_synthetic(con, landing: Path) -> bool:
    """True when the warehouse (an open connection) has loaded at least one file and every
    file it has loaded or withdrawn is one the landing folder's marker lists, by name and sha256."""
    history = con.execute(
        "select source_file, file_sha256 from raw.loaded_files "
        "union select source_file, file_sha256 from raw.withdrawn_files"
    ).fetchall()
    return bool(history) and set(history) <= listed_files(landing)
