"""The benchmark harness's own logic (benchmarks/run.py), without timing anything: the
targets table from made-up results, reading what `continuity run` prints and logs, the
landing folder without its last quarter, and the baselines' row contract."""

import importlib.util
import json
import os
from pathlib import Path

import polars as pl
import pytest

from pipelines.contract import EXTRACTS_BY_NAME, load_code_lists
from pipelines.dev.generate import GeneratorConfig, generate
from pipelines.load import extract_date_from_name, read_extract_file, validate

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _module("run")
baseline_pandas = _module("baseline_pandas")


def _runs(*walls, rss=1000.0, stages=None, stage_rss=None, **extra):
    return [
        {"wall": w, "cpu": w, "rss_mb": rss, "stages": stages or {}, "stage_rss": stage_rss or {}, **extra}
        for w in walls
    ]


def _fake_results() -> dict:
    scale10_stages = {"load": 50.0, "dbt build": 120.0, "checks": 20.0, "publication": 10.0}
    return {
        1.0: {
            "rows": 2_000_000,
            "results": {bench.FULL: _runs(20.0, 24.0, 50.0), bench.RERUN: _runs(2.0, verdict="Done (nothing run).")},
        },
        10.0: {
            "rows": 20_000_000,
            "results": {
                bench.FULL: _runs(
                    200.0,
                    rss=5000.0,
                    stages=scale10_stages,
                    stage_rss={"checks": 5000.0, "dbt build": 3000.0},
                    steps={"continuity_dbt_assets": 118.5},
                ),
                bench.RERUN: _runs(8.0, verdict="Verdict: nothing new."),
                bench.QUARTER: _runs(60.0, stages={"load": 5.0, "dbt build": 45.0}),
                bench.C20_ONLY: _runs(40.0),
                bench.DUCKDB: _runs(100.0),
                bench.PANDAS: _runs(50.0),
            },
            "recording": {
                "by_type": {"attributor_mismatch": 301, "missing_exit_data": 9000},
                "ambiguous": 12,
                "releases": 30_000,
            },
        },
        30.0: {"rows": 60_000_000, "results": {bench.FULL: _runs(1500.0, rss=3900.0)}},
    }


def test_targets_are_computed_from_the_results():
    rows = {r["target"]: r for r in bench.targets(_fake_results())}
    assert [r["status"] for r in rows.values()] == [
        "NOT MET",  # 200 s / 40 s C20-only DuckDB = 5.0x > 2.5x
        "met",  # 200 s / 100 s DuckDB = 2.0x <= 2.5x
        "NOT MET",  # 200 s / 50 s pandas = 4.0x > 2.5x
        "NOT MET",  # 5,000 MiB > 4,096 MiB
        "met",  # median of 20, 24, 50 = 24 s <= 25 s
        "met",  # scale 1: 2 s <= 3 s
        "NOT MET",  # scale 10: 8 s > 3 s
        "NOT MET",  # 60 s / 200 s = 30% > 25%
        "NOT MET",  # 301 attributor mismatches > 1% of 30,000 releases = 300
        "NOT MET",  # scale 30: 1500 s / 60 M rows = 25 s per million > 1.1 x (200 s / 20 M = 10) = 11
        "met",  # scale 30: 3,900 MiB <= 4,096 MiB
        "met",  # scale 30 ran
    ]
    mismatches = rows["scale 10: attributor mismatches listed <= 1% of the releases (not millions)"]
    assert mismatches["measured"] == "301 listed, 12 ambiguous counted, of 30,000 releases"
    pandas = rows["scale 10: whole pipeline <= 2.5x the pandas script"]
    assert pandas["measured"] == "4.0x (200.0 s / 50.0 s)"
    # 200 - 2.5 x 50 = 75 s; the largest stage is dbt build (120 of 200 s)
    assert (
        pandas["why"]
        == "needs 75 s off the run; largest: dbt build 120.0 s; slowest step continuity_dbt_assets 118.5 s"
    )
    memory = rows["scale 10: peak RSS of the process tree <= 4 GB (4,096 MiB)"]
    assert memory["measured"] == "5,000 MiB" and memory["why"] == "peak by stage, largest: checks 5,000.0 MiB"
    quarter = rows["scale 10: one new quarter <= 25% of the full run"]
    # 60 - 0.25 x 200 = 10 s
    assert quarter["measured"] == "30% (60.0 s / 200.0 s)" and quarter["why"].startswith(
        "needs 10 s off; largest: dbt build"
    )
    assert rows["scale 10: re-run with nothing new <= 3 s"]["measured"] == "8.0 s (Verdict: nothing new.)"
    assert rows["scale 1: re-run with nothing new <= 3 s"]["measured"] == "2.0 s (Done (nothing run).)"
    c20_only = rows["scale 10: whole pipeline <= 2.5x the C20-only DuckDB script"]
    # 200 - 2.5 x 40 = 100 s
    assert c20_only["measured"] == "5.0x (200.0 s / 40.0 s)" and c20_only["why"].startswith("needs 100 s off the run")
    growth = rows["scale 30: s per million rows <= 1.1x scale 10's"]
    # 200 / 20 = 10.0, 1500 / 60 = 25.0 s per million rows; 25 / 10 = 2.50
    assert growth["measured"] == "scale 10: 10.0; scale 30: 25.0 s per million"
    assert growth["why"].startswith("scale 30 is 2.50x scale 10 per row")
    text = bench.report(_fake_results(), 3)
    assert "attributor_mismatch 301, missing_exit_data 9,000; ambiguous attributor-mismatch candidates" in text
    # growth table: 1500 s / 60 M rows = 25.0 s per million, 25 / 12 = x2.08; 3,900 MiB / 60 M rows = 65 MiB per million
    assert "| 30 | 60,000,000 | 1,500.0 | 25.0 | x2.08 | 3,900 | 65 |" in text
    assert "| dbt build | 120.0 | - | 45.0 | 3,000 |" in text  # scale 10: full run, re-run (none), new quarter, memory
    table = bench.targets_table(_fake_results())
    assert len(table) == 2 + 12 and table[5].startswith("| scale 10: peak RSS") and "| NOT MET |" in table[5]


def test_targets_of_scales_not_run_are_not_measured():
    only_small = {0.05: {"rows": 100_000, "results": {bench.FULL: _runs(60.0)}}}
    assert {r["status"] for r in bench.targets(only_small)} == {"not measured"}
    # the report still renders: a targets table, the scale's tables, no growth section (one scale)
    text = bench.report(only_small, 1)
    assert "| scale 30 runs at all | scale 30 not run | not measured |  |" in text
    assert "### Scale 0.05 (100,000 landing rows, 3 financial years, 1 repeat(s))" in text
    assert "### Growth" not in text


# Captured from `continuity run` on a scale-0.05 landing (the stage lines and the lines after).
SAMPLE_OUTPUT = """\
note: CONTINUITY_PSEUDO_KEY is not set; using the development key because /tmp/landing holds the generator's \
synthetic sample. Set the key for real data.
  load         6 extracts, 115,765 rows loaded; 0 lines quarantined, 0 files rejected            1.7 s
  dbt build    69 models and seeds built; 131 dbt tests: 131 passed                             18.0 s
  checks       15 Great Expectations suites and 3 publication gates: 18 passed                   4.2 s
  publication  published, exports and reports written                                           32.9 s
Ingestion:
  er_contacts: 11 file(s), 288 rows loaded, 0 quarantined
PHOF 2.16 / C20, England, by financial year (engaged within 21 days):
  2023-24: 43.3% (40.7% to 46.0%), 586 of 1352 releases
Verdict: published. Every blocking check passed; no publication gate accepted.
Checks: 149 run, 149 passed, 0 warned, 0 failed
Done in 59 s.
"""

SAMPLE_LOG = """\
2026-12-02 19:25:13 +0000 - dagster - DEBUG - full_refresh - b1e7 - 21494 - RUN_START - Started execution of run.
2026-12-02 19:25:13 +0000 - dagster - DEBUG - full_refresh - b1e7 - 21494 - raw__er_contacts - STEP_START - \
Started execution of step "raw__er_contacts".
2026-12-02 19:25:14 +0000 - dagster - DEBUG - full_refresh - b1e7 - 21494 - raw__er_contacts - STEP_SUCCESS - \
Finished execution of step "raw__er_contacts" in 243ms.
2026-12-02 19:25:15 +0000 - dagster - DEBUG - full_refresh - b1e7 - 21494 - continuity_dbt_assets - STEP_START - \
Started execution of step "continuity_dbt_assets".
2026-12-02 19:30:07 +0000 - dagster - DEBUG - full_refresh - b1e7 - 21494 - continuity_dbt_assets - STEP_SUCCESS - \
Finished execution of step "continuity_dbt_assets" in 4m52s.
"""


def test_steps_reads_the_stage_lines():
    # the four stage lines, not the indented ingestion and C20 lines after them
    assert bench.steps(SAMPLE_OUTPUT) == {"load": 1.7, "dbt build": 18.0, "checks": 4.2, "publication": 32.9}
    assert (
        bench.verdict(SAMPLE_OUTPUT) == "Verdict: published. Every blocking check passed; no publication gate accepted."
    )


def test_log_steps_and_memory_by_stage():
    logged = bench.log_steps(SAMPLE_LOG)
    assert [(s["step"], s["stage"], s["seconds"]) for s in logged] == [
        ("raw__er_contacts", "load", 0.243),
        ("continuity_dbt_assets", "dbt build", 292.0),  # 4 x 60 + 52
    ]
    load, dbt = logged
    assert dbt["end"] - dbt["start"] == 292.0  # 19:25:15 to 19:30:07
    # samples: before the load (start-up), in the load's second, in dbt, and after the run
    timeline = [
        (load["start"] - 5, 100 * 1024),
        (load["end"] + 0.5, 300 * 1024),
        (dbt["start"] + 10, 2000 * 1024),
        (dbt["end"] + 30, 150 * 1024),
    ]
    assert bench.stage_memory(timeline, logged) == {
        "outside steps (start-up, summary)": 150.0,
        "load": 300.0,
        "dbt build": 2000.0,
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "landing"
    generate(out, GeneratorConfig(seed=3, scale=0.01, years=3))
    return out


def test_landing_without_the_last_quarter(landing, tmp_path, monkeypatch):
    out = tmp_path / "partial"
    held_back = bench.landing_without_last_quarter(landing, out)
    # three financial years end on 31 March 2026: every one of the six extract folders has
    # a file of that date, and only those are held back
    assert sorted(str(p.relative_to(landing)) for p in held_back) == sorted(
        f"{e}/{e}_20260331.csv" for e in EXTRACTS_BY_NAME
    )
    everything = {str(p.relative_to(landing)) for p in landing.glob("*/*.csv")}
    kept = {str(p.relative_to(out)) for p in out.glob("*/*.csv")}
    assert kept == everything - {str(p.relative_to(landing)) for p in held_back}
    some = sorted(kept)[0]
    assert os.path.samefile(out / some, landing / some)  # a hard link, not a copy
    # the copied marker lists every file the subset holds: its outputs stay labelled synthetic
    from pipelines.synthetic import listed_files

    assert {name for name, _ in listed_files(out)} >= kept
    bench.add_back(held_back, landing, out)
    assert {str(p.relative_to(out)) for p in out.glob("*/*.csv")} == everything


def _pipeline_latest(landing: Path, extract: str) -> dict:
    """The valid rows the loader keeps, then the latest version per key (newest file wins)."""
    spec, codes, latest = EXTRACTS_BY_NAME[extract], load_code_lists(), {}
    for path in sorted((landing / extract).glob("*.csv")):
        df, _ = read_extract_file(path, spec)
        good, _ = validate(df, spec, codes, extract_date_from_name(path, spec))
        for row in good.select(spec.column_names).rows():
            latest[row[0]] = (path.name, row)
    return latest


def test_both_baselines_keep_the_row_contract_as_the_loader_does(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, GeneratorConfig(seed=11, scale=0.01, years=3, faults=0.02))
    # and what the generator's faults leave out: untrimmed values (a no-break space, a tab)
    # and lower-case codes and initials, which the loader normalises before it checks them
    path = landing / "ndtms_secure" / "ndtms_secure_20240331.csv"
    df = pl.read_csv(path, infer_schema=False)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("FINITIAL").str.to_lowercase())
        .otherwise("FINITIAL")
        .alias("FINITIAL"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then("\u00a0" + pl.col("EXITDEST") + "\t")
        .otherwise("EXITDEST")
        .alias("EXITDEST"),
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("rel")).otherwise("PRISEXRSN").alias("PRISEXRSN"),
    )
    df.write_csv(path)
    import duckdb

    con = duckdb.connect()
    con.execute(f"set variable landing = '{landing}'")
    con.execute(f"set variable seeds = '{BENCHMARKS.parent / 'seeds'}'")
    con.execute((BENCHMARKS / "baseline_duckdb.sql").read_text())
    for extract, table in (
        ("ndtms_secure", "secure"),
        ("ndtms_community", "community"),
        ("ndtms_interventions", "interventions"),
    ):
        columns = EXTRACTS_BY_NAME[extract].column_names
        expected = {k: (name, tuple(row)) for k, (name, row) in _pipeline_latest(landing, extract).items()}
        rows = con.execute(f"select {', '.join(columns)}, filename from {table}").fetchall()
        assert {r[0]: (Path(r[-1]).name, tuple(r[:-1])) for r in rows} == expected, extract
        kept = baseline_pandas.read(landing, extract)[columns + ["_file"]]
        as_tuples = {
            r[0]: (r[-1], tuple(None if isinstance(v, float) else v for v in r[:-1]))
            for r in kept.itertuples(index=False)
        }
        assert as_tuples == expected, extract
    # the faults the generator injected in these three extracts were dropped (manifest:
    # bad dates, missing required fields, unknown codes, repeated keys), so the contract did work
    quarantined = {q["source_file"] for q in json.loads((landing / "MANIFEST.json").read_text())["quarantine"]}
    assert any(f.startswith("ndtms_") for f in quarantined)


def test_above_scale_10_only_the_whole_run_is_measured(tmp_path, monkeypatch):
    """Scale 30's targets need only the whole run: no baseline, dbt-alone build or quarter is
    started there (the pandas script would hold the whole landing in memory); scale 10 gets them all."""
    started: list[str] = []
    monkeypatch.setattr(bench, "DATA", tmp_path)
    monkeypatch.setattr(bench, "landing_rows", lambda landing: 1)
    monkeypatch.setattr(bench, "run_pipeline", lambda landing, work, *a, **k: started.append(work.name) or {"wall": 1})
    monkeypatch.setattr(bench, "measure", lambda cmd, **k: started.append(Path(cmd[0]).name) or {"wall": 1})
    for scale in (30, 10):
        (tmp_path / f"scale{scale}" / "landing").mkdir(parents=True)
        (tmp_path / f"scale{scale}" / "landing" / "SYNTHETIC.json").write_text("{}")
    monkeypatch.setattr(bench, "pipeline_c20", lambda warehouse: {})
    counted = {"by_type": {"attributor_mismatch": 2}, "ambiguous": 1, "releases": 300}
    monkeypatch.setattr(bench, "recording_counts", lambda warehouse: counted)
    monkeypatch.setattr(bench, "agree", lambda *a: None)
    monkeypatch.setattr(bench, "duckdb_baseline", lambda landing: {})
    monkeypatch.setattr(bench, "c20_only_baseline", lambda landing: {})
    monkeypatch.setattr(bench, "pandas_baseline", lambda landing: {})
    monkeypatch.setattr(bench, "landing_without_last_quarter", lambda landing, out: [])
    monkeypatch.setattr(bench, "add_back", lambda *a: None)

    data = bench.bench_scale(30, repeats=1)
    assert sorted(data["results"]) == sorted([bench.FULL, bench.RERUN])
    assert started == ["run", "run"]
    saved = json.loads((tmp_path / "scale30" / "results.json").read_text())
    assert saved["scale"] == 30 and saved["recording"] == counted  # what the whole run's warehouse lists

    started.clear()
    data = bench.bench_scale(10, repeats=1)
    everything = {
        bench.FULL,
        bench.RERUN,
        bench.DBT,
        bench.C20_ONLY,
        bench.DUCKDB,
        bench.PANDAS,
        bench.WITHOUT,
        bench.QUARTER,
    }
    assert set(data["results"]) == everything
