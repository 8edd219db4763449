"""`make bench`: how fast the pipeline is, how its cost grows, and against what a user
would otherwise write. Speed targets live here, never in timed tests.

For each scale: generate the synthetic extracts (three financial years, pinned so results stay
comparable with earlier runs; timed), run the whole pipeline (`continuity
run`, timed, with its per-step times), re-run `dbt build` alone, and time two baselines that
compute the same C20 table from the same landing folder (a hand-written DuckDB SQL script and
a pandas script), after checking that both give the pipeline's numbers. Wall time, CPU time
and peak memory (RSS summed over the whole process tree) are measured; repeated runs are
reported as median and range. Results are appended to docs/benchmarks.md.

    python benchmarks/run.py [--scales 1 10] [--with-30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.executable).parent


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run a command; return wall s, CPU s (user+sys of the tree), peak tree RSS MB, output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})}, cwd=ROOT
    )
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-3000:]}")
    return {"wall": wall, "cpu": cpu, "rss_mb": peak / 1024, "output": output}


def steps(output: str) -> dict[str, float]:
    """Per-step seconds from the progress lines of `continuity run`."""
    found: dict[str, float] = {}
    for name, seconds in re.findall(r"^  ok (\S+) \(([\d.]+) s\)$", output, flags=re.M):
        if name.startswith("raw__"):
            group = "ingestion (read + validate + load)"
        elif name == "continuity_dbt_assets":
            group = "dbt build (staging, latest version, marts, dbt tests)"
        elif "_gx_" in name:
            group = "Great Expectations checks"
        else:
            group = name
        found[group] = found.get(group, 0.0) + float(seconds)
    return found


def pipeline_c20(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select year(period_start), geography_code, denominator, numerator from marts.phof_c20 "
        "where period_type = 'financial_year' and geography_type in ('england', 'local_authority') "
        "and denominator > 0"
    ).fetchall()
    con.close()
    return {(int(y), g): (int(d), int(n)) for y, g, d, n in rows}


def duckdb_baseline(landing: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"set variable landing = '{landing}'")
    con.execute((HERE / "baseline_duckdb.sql").read_text())
    rows = con.execute("select fy, geography_code, denominator, numerator from c20").fetchall()
    return {(int(y), g): (int(d), int(n)) for y, g, d, n in rows}


def pandas_baseline(landing: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from baseline_pandas import c20

    df = c20(landing)
    return {(int(r.fy), r.geography_code): (int(r.denominator), int(r.numerator)) for r in df.itertuples()}


def agree(pipeline: dict, baseline: dict, name: str) -> None:
    common = {k: v for k, v in baseline.items() if k in pipeline and v[0] > 0}
    wrong = {k: (pipeline[k], v) for k, v in common.items() if pipeline[k] != v}
    missing = [k for k in pipeline if k not in baseline]
    if wrong or missing or not common:
        raise SystemExit(f"{name} disagrees with the pipeline: {list(wrong.items())[:5]} missing {missing[:5]}")


def summary(values: list[float]) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.1f}"
    return f"{med:.1f} ({min(values):.1f}-{max(values):.1f})"


def _plain_runs(results: dict) -> dict:
    return {k: [{m: v for m, v in r.items() if m != "output"} for r in runs] for k, runs in results.items()}


def bench_scale(scale: float, repeats: int, resume: bool = False) -> dict:
    """Measure one scale. Results are saved beside the data as they are measured, so a
    failure later loses nothing; --resume reuses a scale's finished results.json."""
    landing = DATA / f"scale{scale:g}" / "landing"
    saved = landing.parent / "results.json"
    if resume and saved.exists():
        return json.loads(saved.read_text())
    results: dict[str, list[dict]] = {}
    if not (landing / "SYNTHETIC.json").exists():
        shutil.rmtree(landing.parent, ignore_errors=True)
        results["generation"] = [
            measure(
                [str(BIN / "continuity"), "generate", "--out", str(landing), "--scale", f"{scale:g}", "--years", "3"]
            )
        ]
    stage_times: dict[str, list[float]] = {}
    for _ in range(repeats):
        work = landing.parent / "run"
        shutil.rmtree(work, ignore_errors=True)
        run = measure(
            [str(BIN / "continuity"), "run", "--landing", str(landing), "--warehouse", str(work / "c.duckdb")]
        )
        results.setdefault("continuity run (whole pipeline)", []).append(run)
        for name, seconds in steps(run["output"]).items():
            stage_times.setdefault(name, []).append(seconds)
    warehouse = landing.parent / "run" / "c.duckdb"
    dbt_env = {"CONTINUITY_WAREHOUSE": str(warehouse), "CONTINUITY_DEV_KEY_OK": "1"}
    for _ in range(repeats):
        results.setdefault("dbt build alone (warm warehouse)", []).append(
            measure(
                [
                    str(BIN / "dbt"),
                    "build",
                    "--exclude-resource-type",
                    "unit_test",
                    "--profiles-dir",
                    str(ROOT),
                    "--quiet",
                ],
                env=dbt_env,
            )
        )
    (landing.parent / "partial.json").write_text(json.dumps({"results": _plain_runs(results), "stages": stage_times}))
    expected = pipeline_c20(warehouse)
    agree(expected, duckdb_baseline(landing), "the DuckDB script")
    agree(expected, pandas_baseline(landing), "the pandas script")
    for name, module in (("DuckDB SQL script (baseline)", "duckdb"), ("pandas script (baseline)", "pandas")):
        code = (
            f"import sys; sys.path.insert(0, {str(HERE)!r}); from run import {module}_baseline; "
            f"from pathlib import Path; {module}_baseline(Path({str(landing)!r}))"
        )
        for _ in range(repeats):
            results.setdefault(name, []).append(measure([sys.executable, "-c", code]))
    data = {
        "results": _plain_runs(results),
        "stages": stage_times,
        "rows": sum(sum(1 for _ in open(p)) - 1 for p in landing.rglob("*.csv")),
    }
    saved.write_text(json.dumps(data))
    return data


def report(all_results: dict[float, dict], repeats: int) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    lines = [
        f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}; "
        + ", ".join(
            f"{p} {version(p)}"
            for p in ("duckdb", "polars", "dbt-core", "dbt-duckdb", "dagster", "great-expectations", "pandas")
        ),
        f"Repeats per measure: {repeats} (median and range); peak RSS summed over the process tree.",
        "",
    ]
    for scale, data in all_results.items():
        lines += [
            f"### Scale {scale:g} ({data['rows']:,} landing rows)",
            "",
            "| measure | wall s | CPU s | peak RSS MB |",
            "|---|---|---|---|",
        ]
        for name, runs in data["results"].items():
            lines.append(
                f"| {name} | {summary([r['wall'] for r in runs])} | {summary([r['cpu'] for r in runs])} "
                f"| {summary([r['rss_mb'] for r in runs])} |"
            )
        lines += ["", "| stage of `continuity run` | wall s |", "|---|---|"]
        for name, values in data["stages"].items():
            lines.append(f"| {name} | {summary(values)} |")
        runs = data["results"]
        pipe = statistics.median(r["wall"] for r in runs["continuity run (whole pipeline)"])
        ddb = statistics.median(r["wall"] for r in runs["DuckDB SQL script (baseline)"])
        pds = statistics.median(r["wall"] for r in runs["pandas script (baseline)"])
        lines += [
            "",
            f"Ratios: pipeline / DuckDB script = {pipe / ddb:.1f}x; pandas script / pipeline = "
            f"{pds / pipe:.2f}x. Both baselines gave the pipeline's C20 numbers (England and every "
            "local authority, every financial year) before they were timed.",
            "",
        ]
    scales = sorted(all_results)
    if len(scales) > 1:
        base = all_results[scales[0]]["results"]["continuity run (whole pipeline)"]
        lines.append(
            "Growth of the whole pipeline from scale "
            + f"{scales[0]:g}: "
            + "; ".join(
                f"scale {s:g}: time x{statistics.median(r['wall'] for r in all_results[s]['results']['continuity run (whole pipeline)']) / statistics.median(r['wall'] for r in base):.1f}, "  # noqa: E501
                f"memory x{statistics.median(r['rss_mb'] for r in all_results[s]['results']['continuity run (whole pipeline)']) / statistics.median(r['rss_mb'] for r in base):.1f}"  # noqa: E501
                for s in scales[1:]
            )
        )
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--with-30", action="store_true", help="also scale 30 (several GB of CSV)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--resume", action="store_true", help="reuse each scale's saved results.json")
    args = parser.parse_args()
    scales = args.scales + ([30.0] if args.with_30 else [])
    os.environ.setdefault("DO_NOT_TRACK", "1")
    results = {}
    for scale in scales:
        repeats = args.repeats if scale <= 1 else 1
        print(f"scale {scale:g}: {repeats} repeat(s)...", flush=True)
        results[scale] = bench_scale(scale, repeats, args.resume)
    text = report(results, args.repeats)
    print(text)
    out = Path(args.out)
    if not out.exists():
        out.write_text("# Benchmarks\n\nAppended by `make bench` (benchmarks/run.py); newest last.\n\n")
    with open(out, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
