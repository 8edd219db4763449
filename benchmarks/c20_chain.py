"""The C20 chain's speed target: the C20 models build on generator scale 10 in under a minute.

Re-builds the C20 chain (`dbt run --select +phof_c20 +continuity_flows`: the three NDTMS
staging models, the C20 intermediate models and the three C20 marts) on a warehouse that a
`make bench` run (or `continuity run`) has already loaded, and reports dbt's own time and
the wall time of the command (which adds dbt's start-up), median and range over repeats.

    python benchmarks/c20_chain.py [--warehouse benchmarks/data/scale10/run/c.duckdb] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "continuity-dbt"  # dbt with the settings as vars


def build_once(warehouse: Path) -> tuple[float, float]:
    """(dbt's reported seconds, wall seconds) of one build of the chain."""
    env = {**os.environ, "CONTINUITY_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
    with tempfile.TemporaryDirectory() as target:
        command = [str(DBT), "run", "--select", "+phof_c20", "+continuity_flows", "--profiles-dir", str(ROOT)]
        started = time.monotonic()
        result = subprocess.run(
            [*command, "--target-path", target], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"dbt run failed:\n{result.stdout[-3000:]}")
    reported = re.search(r"Finished running .* \(([0-9.]+)s\)", result.stdout)
    return float(reported.group(1)), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "benchmarks" / "data" / "scale10" / "run" / "c.duckdb"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warehouse = Path(args.warehouse)
    if not warehouse.exists():
        sys.exit(f"{warehouse} does not exist: run `make bench` (or `continuity run` on a scale-10 landing) first")
    runs = [build_once(warehouse) for _ in range(args.repeats)]
    for name, values in (("dbt", [r[0] for r in runs]), ("wall", [r[1] for r in runs])):
        print(
            f"C20 chain, {name}: median {statistics.median(values):.1f} s "
            f"(range {min(values):.1f} to {max(values):.1f}, {len(values)} runs)"
        )


if __name__ == "__main__":
    main()
