"""`make bench-cluster`: one whole run on the local Spark standalone cluster over Thrift
(`continuity run --dbt-target spark_thrift`: the loader writes the raw lake, dbt builds on the
cluster, the marts come back to DuckDB for the publication) beside the same run on DuckDB, on
the scale-1 landing `make bench` generates (three financial years, pinned). To know the
overhead of the cluster path, not to beat DuckDB: one machine, one worker.

The cluster (pipelines/dev/spark_cluster.py: master, one worker with 2 cores and 1.5 GB for
executors, the Thrift server with a 1 GB driver) is started before the timed run and stopped
after it; its start is reported apart. Wall time, CPU time (of `continuity run`'s process
tree: the cluster's JVMs are not its children, so their CPU is not in it) and the stages
`continuity run` printed are appended to docs/benchmarks.md.

    python benchmarks/spark_cluster.py [--scale 1] [--out FILE]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import BIN, DATA, YEARS, landing_rows, measure, run_pipeline  # noqa: E402


def bench(scale: float, out: Path) -> str:
    import os
    import secrets

    from pipelines.dev.spark_cluster import leftover_processes, local_cluster

    base = DATA / f"scale{scale:g}"
    landing = base / "landing"
    if not (landing / "SYNTHETIC.json").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        measure(
            [str(BIN / "continuity"), "generate", "--out", str(landing), "--scale", f"{scale:g}", "--years", str(YEARS)]
        )
    rows = landing_rows(landing)
    key = {"CONTINUITY_PSEUDO_KEY": secrets.token_hex(32)}
    work = base / "cluster-bench"
    shutil.rmtree(work, ignore_errors=True)
    duck = run_pipeline(landing, work / "duckdb")
    started = time.monotonic()
    # the JVM's and Spark's defaults, as a cluster at volume would run (not the check's tuning)
    with local_cluster(work / "cluster", {**os.environ, **key}, small=False) as cluster:
        start_s = time.monotonic() - started
        os.environ.update({**key, "CONTINUITY_SPARK_PORT": str(cluster.thrift_port)})
        spark = run_pipeline(landing, work / "spark_thrift", ["--dbt-target", "spark_thrift"])
    left = leftover_processes(cluster)
    stages = list(dict.fromkeys([*duck["stages"], *spark["stages"]]))
    lines = [
        "",
        f"## Spark cluster over Thrift beside DuckDB ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Scale {scale:g} ({rows:,} landing rows, {YEARS} financial years), one run each, `make bench-cluster`: "
        "a standalone master and one worker (2 cores, 1.5 GB for executors) and the Thrift server (1 GB driver) "
        f"started from the pyspark package on this machine ({os.cpu_count()} cores); the cluster took "
        f"{start_s:.0f} s to start (not in the run's time). CPU s counts `continuity run`'s own process tree: "
        "the cluster's JVMs are not in it.",
        "",
        "| engine | whole run wall s | CPU s | peak RSS MiB (run's tree) |",
        "|---|---|---|---|",
        f"| DuckDB | {duck['wall']:.1f} | {duck['cpu']:.1f} | {duck['rss_mb']:.0f} |",
        f"| Spark cluster (`spark_thrift`) | {spark['wall']:.1f} | {spark['cpu']:.1f} | {spark['rss_mb']:.0f} |",
        "",
        "| stage, wall s | DuckDB | Spark cluster |",
        "|---|---|---|",
        *(f"| {s} | {duck['stages'].get(s, 0):.1f} | {spark['stages'].get(s, 0):.1f} |" for s in stages),
        "",
        f'Verdicts: DuckDB "{duck["verdict"]}"; Spark cluster "{spark["verdict"]}". '
        + ("No cluster process was left." if not left else f"Cluster processes left: {left}"),
        "",
    ]
    text = "\n".join(lines)
    with open(out, "a") as f:
        f.write(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    print(bench(args.scale, Path(args.out)))


if __name__ == "__main__":
    main()
