"""Faults survived, nothing lost, no one identified - with real subprocesses.

One synthetic landing folder; a reference run into its own warehouse; then, against a second
output folder holding a good publication: SIGKILL during ingestion, during dbt and during
publication (each time the previous publication must stay intact and readable), a final run
that must complete without clean-up and match the reference, two runs at once, and a scan
of everything published for personal data from the input."""

import contextlib
import csv
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from pptx import Presentation

from pipelines.dev.generate import GeneratorConfig, generate
from pipelines.disclosure import Rules
from pipelines.lock import run_lock
from pipelines.reports import build_partner_slides, gather_partner
from pipelines.reports.tiers import partner_tier

CLI = [sys.executable, "-m", "dagster_project.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "CONTINUITY_PSEUDO_KEY"}


def run(landing: Path, warehouse: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--output", str(output)],
        capture_output=True,
        text=True,
        env=ENV,
    )


def wait_for_step(proc: subprocess.Popen, log: Path, step: str, timeout: float = 300) -> str:
    """Wait until the run's live log (<output>/logs/last-run.log, every event, flushed as it
    goes) says `step` started; return the log so far. The terminal shows a line per stage
    only when the stage ends, so the log is where a step's start can be seen."""
    needle = f'Started execution of step "{step}"'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        text = log.read_text(errors="replace") if log.exists() else ""
        if needle in text:
            return text
        time.sleep(0.02)
    raise AssertionError(f"step {step} never started (run exit code {proc.poll()})")


def start_run(landing: Path, warehouse: Path, output: Path, **popen) -> tuple[subprocess.Popen, Path]:
    """A run started in the background, and its live log (the previous run's log removed, so
    that it is not read as this one's)."""
    log = output / "logs" / "last-run.log"
    log.unlink(missing_ok=True)
    command = CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--output", str(output)]
    return subprocess.Popen(command, env=ENV, **popen), log


def run_and_kill_at(landing: Path, warehouse: Path, output: Path, marker: str, delay: float = 0.0) -> str:
    """Start a run, SIGKILL its whole process group when step `marker` starts; return its log."""
    proc, log = start_run(
        landing, warehouse, output, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    seen = wait_for_step(proc, log, marker)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen[-2000:]
    return seen


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def readable(publication: Path) -> int:
    con = duckdb.connect(str(publication / "marts.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from marts.phof_c20").fetchall()[0][0]
    finally:
        con.close()


def c20(warehouse: Path) -> list:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select * from marts.phof_c20 order by all").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability")
    landing = root / "landing"
    # five financial years (the default) at 0.018: the rows three years at 0.03 gave
    generate(landing, GeneratorConfig(seed=5, scale=0.05, years=2))
    # an uninterrupted run: the publication the killed runs must leave, and the reference the
    # interrupted warehouse must end up equal to
    good = run(landing, root / "wh1" / "c.duckdb", root / "out")
    assert good.returncode == 0, good.stdout[-2000:] + good.stderr
    published = root / "out" / "published"
    return {
        "root": root,
        "landing": landing,
        "published": published,
        "old_target": published.resolve(),
        "old": fingerprint(published),
    }


def assert_previous_publication_intact(world):
    assert world["old_target"].is_dir()
    assert fingerprint(world["old_target"]) == world["old"]
    assert readable(world["published"]) > 0


def test_killed_runs_leave_the_publication_and_the_next_run_completes(world):
    landing, root = world["landing"], world["root"]
    warehouse, out = root / "wh2" / "c.duckdb", root / "out"
    # 1. during ingestion (a fresh warehouse, so there is everything to load)
    run_and_kill_at(landing, warehouse, out, "raw__ndtms_interventions", delay=0.1)
    assert_previous_publication_intact(world)
    # `current` is the one link a publication swaps; `published` is fixed (current/open)
    assert os.readlink(out / "current") == os.path.relpath(world["old_target"].parent, out)
    # 2. during dbt
    run_and_kill_at(landing, warehouse, out, "continuity_dbt_assets", delay=4.0)
    assert_previous_publication_intact(world)
    # 3. during publication: the old publication stays, and `published` is always complete
    run_and_kill_at(landing, warehouse, out, "publication", delay=0.0)
    assert world["old_target"].is_dir() and fingerprint(world["old_target"]) == world["old"]
    assert readable(world["published"]) > 0
    # the next run completes with no manual clean-up and matches an uninterrupted run; while it
    # runs, a second run on the same warehouse is refused at once and does not disturb it
    final, log = start_run(landing, warehouse, out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for_step(final, log, "raw__er_contacts")  # the first step
    second = run(landing, warehouse, out)
    rest = final.stdout.read()
    final.wait(timeout=300)
    assert second.returncode == 1
    assert second.stderr.startswith(
        f"continuity: error: another run is using {warehouse} (pid {final.pid}, continuity command, started at "
    )
    assert final.returncode == 0, rest[-3000:]
    assert c20(warehouse) == c20(root / "wh1" / "c.duckdb")
    counts = "select (select count(*) from raw.ndtms_interventions), (select count(*) from raw.quarantine)"
    con_ref = duckdb.connect(str(root / "wh1" / "c.duckdb"), read_only=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    # nothing lost or loaded twice: the interrupted file's transaction was rolled back
    assert con.execute(counts).fetchall() == con_ref.execute(counts).fetchall()
    con.close()
    con_ref.close()
    assert not list(out.glob("publications/.*.building")) and not list(out.glob(".exports.*"))


def _personal_values(landing: Path) -> set[str]:
    values: set[str] = set()
    for extract, columns in (
        ("ndtms_secure", ["CLIENT", "DOB"]),
        ("ndtms_community", ["CLIENT", "DOB"]),
        ("ndelius_cases", ["CRN", "DOB"]),
    ):
        df = pl.read_csv(landing / extract / "*.csv", infer_schema=False)
        for column in columns:
            values |= set(df[column].drop_nulls().str.strip_chars().to_list())
        keys = df.select(pl.concat_str(["FINITIAL", "SINITIAL", "DOB", "SEX"], separator="|"))
        values |= set(keys.to_series().drop_nulls().to_list())
    return values


def _cells_of_duckdb(path: Path, schema: str) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    cells: set[str] = set()
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        for (table,) in tables:
            for row in con.execute(f'select * from {schema}."{table}"').fetchall():
                cells |= {str(v) for v in row if v is not None}
    finally:
        con.close()
    return cells


def test_no_personal_data_in_marts_publication_exports_or_reports(world):
    personal = _personal_values(world["landing"])
    assert len(personal) > 1000  # the scan has something to look for
    root = world["root"]
    found = _cells_of_duckdb(root / "wh1" / "c.duckdb", "marts") & personal
    found |= _cells_of_duckdb(world["published"] / "marts.duckdb", "main") & personal
    for parquet in (world["published"] / "parquet").glob("*.parquet"):
        for column in pl.read_parquet(parquet).cast(pl.String).iter_columns():
            found |= set(column.drop_nulls().to_list()) & personal
    for path in (root / "out" / "exports").rglob("*.csv"):
        with open(path, newline="") as f:
            found |= {cell for row in csv.reader(f) for cell in row} & personal
    for path in (root / "out" / "exports").rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            found |= {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None} & personal
    reports = root / "out" / "reports"
    words = set()
    pages = [reports / "continuity_slides.html", reports / "easy_read.html", reports / "local_area_profiles.html"]
    for page in [*pages, *(reports / "profiles").glob("*.html")]:
        text = re.sub(r'src="data:image/png;base64,[^"]*"', "", page.read_text())  # pictures: no text to scan
        words |= set(re.findall(r"[\w|-]+", text))
    for slide in Presentation(str(reports / "continuity_slides.pptx")).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                words |= set(re.findall(r"[\w|-]+", shape.text_frame.text))
    found |= words & personal
    assert found == set()


def test_report_numbers_match_the_published_disclosure_controlled_marts(world):
    deck = Presentation(str(world["root"] / "out" / "reports" / "continuity_slides.pptx"))
    slides = {s.shapes.title.text: s for s in deck.slides}
    con = duckdb.connect(str(world["published"] / "marts.duckdb"), read_only=True)
    latest, label, value, lo, hi, den = con.execute(
        "select period_start, period_label, value_pct, lower_ci95_pct, upper_ci95_pct, denominator from marts.phof_c20 "
        "where geography_type = 'england' and period_type = 'financial_year' and denominator > 0 "
        "order by period_start desc limit 1"
    ).fetchall()[0]
    areas = con.execute(
        "select count(*) from marts.phof_c20 where geography_type = 'local_authority' and period_type = "
        "'financial_year' and period_start = ? and value_pct is not null",
        [latest],
    ).fetchall()[0][0]
    con.close()
    con = duckdb.connect()
    con.execute(f"attach '{world['root'] / 'out' / 'partner' / 'partner_marts.duckdb'}' as marts (read_only)")
    flows = con.execute(
        "select releases from marts.continuity_flows where period_type = 'financial_year' and period_start = ? "
        "and releases is not null and flow_type = 'pair' order by releases desc, prison_name, la_name limit 10",
        [latest],
    ).fetchall()
    con.close()
    national = slides["National continuity of care by financial year"].shapes[1].text_frame.text
    assert f"In {label}, {value:.1f}% of {den:,} adults" in national
    assert f"(95% interval {lo:.1f}% to {hi:.1f}%)" in national
    title = f"Local authorities against England, {label}"
    if areas:  # the funnel plot shows only areas whose rate the publication shows
        assert f"whose rate is published ({areas} areas" in slides[title].shapes[1].text_frame.text
    else:
        assert title not in slides
    # the partner pack's flows chart: the largest published pairs (a hidden rate too), each count as published
    with partner_tier(world["root"] / "out" / "partner") as tier:
        built = build_partner_slides(gather_partner(tier, Rules(), latest, label))
    assert areas > 0, "the fixture is large enough for a sub-national slide"
    drawn = [s for s in built if s.title.startswith("Prison to local authority flows")]
    if flows:
        assert drawn[0].numbers == [str(n) for (n,) in flows]  # largest first, as the chart draws them
        assert all(int(n) >= Rules().min_count for n in drawn[0].numbers)  # a smaller count is hidden
    else:  # no pair is published: no flows slide at all
        assert drawn == []


def _descendants(pid: int) -> set[int]:
    """Every living descendant of `pid`, from /proc (zombies are not alive)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            _, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        state, ppid = rest.split()[:2]
        if state != "Z":
            parents[int(stat.parent.name)] = int(ppid)
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _holding(path: Path) -> set[int]:
    """Processes that have `path` open."""
    holders = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == str(path):
                holders.add(int(fd.parent.parent.name))
        except OSError:
            continue
    return holders


def test_a_sigkill_of_the_cli_alone_leaves_no_process_writing(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh" / "c.duckdb"
    generate(landing, GeneratorConfig(seed=5, scale=0.01))
    proc = subprocess.Popen(
        CLI + ["run", "--landing", str(landing), "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        start_new_session=True,  # only so that the test can clean up whatever survives
    )
    try:
        wait_for_step(proc, warehouse.parent / "logs" / "last-run.log", "continuity_dbt_assets")
        deadline = time.monotonic() + 60
        dbt = set()
        while not dbt and time.monotonic() < deadline:
            dbt = {p for p in _descendants(proc.pid) if b"build" in Path(f"/proc/{p}/cmdline").read_bytes()}
            time.sleep(0.1)
        assert dbt, "dbt build did not start"
        time.sleep(2.0)  # dbt is building the warehouse (unguarded, it went on for ~15 s after the kill)
        children = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the CLI process alone, as `kill -9 <pid>` does
        proc.wait(timeout=30)
        deadline = time.monotonic() + 3
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        # dbt died with the CLI (parent-death signal): nothing is left writing the warehouse
        assert _alive(children) == set()
        assert _holding(warehouse) == set()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    # and the next run can start at once: the run lock is free and no earlier child holds the
    # children lock (run_lock raises WarehouseBusy otherwise), and the warehouse opens for
    # writing. That a run completes on a warehouse whose build was killed is
    # test_killed_runs_leave_the_publication_and_the_next_run_completes's last step.
    with run_lock(warehouse, "the next run"):
        duckdb.connect(str(warehouse)).close()
