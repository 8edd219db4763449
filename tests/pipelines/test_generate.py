"""The synthetic generator: deterministic, inside the contract, roughly England-shaped."""

import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.contract import EXTRACTS, load_code_lists
from pipelines.dev.generate import GeneratorConfig, generate
from pipelines.load import load_extract


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "landing"
    generate(out, GeneratorConfig(seed=7, scale=0.02))
    return out


def test_same_seed_gives_identical_files(landing, tmp_path):
    again = tmp_path / "again"
    generate(again, GeneratorConfig(seed=7, scale=0.02))
    assert digest(again) == digest(landing)
    other = tmp_path / "other"
    generate(other, GeneratorConfig(seed=8, scale=0.02))
    assert digest(other) != digest(landing)


def test_quarterly_files_for_five_financial_years_by_default(landing):
    files = sorted(p.name for p in (landing / "ndtms_secure").iterdir())
    # the default is five financial years, the span a recent trend needs:
    # 1 April 2021 to 31 March 2026, 5 x 4 = 20 quarter ends
    assert len(files) == 20
    assert files[0] == "ndtms_secure_20210630.csv" and files[-1] == "ndtms_secure_20260331.csv"
    assert (landing / "SYNTHETIC.json").exists()


def test_every_generated_row_passes_the_contract(landing):
    con = duckdb.connect()
    code_lists = load_code_lists()
    for extract in EXTRACTS:
        summary = load_extract(con, landing, extract, code_lists)
        assert summary.rejected == [], extract.name
        assert summary.total("rows_quarantined") == 0, extract.name
        assert summary.total("rows_loaded") > 0, extract.name


def test_volumes_scale_with_england(landing):
    # scale 0.02 x 5 years: ~45,000 x 0.1 = 4,500 secure episodes (+ ~2% corrections),
    # ~280,000 x 0.1 = 28,000 community episodes, ~150,000 x 0.02 = 3,000 nDelius cases
    secure = pl.read_csv(landing / "ndtms_secure" / "*.csv", infer_schema=False)
    community = pl.read_csv(landing / "ndtms_community" / "*.csv", infer_schema=False)
    cases = pl.read_csv(landing / "ndelius_cases" / "*.csv", infer_schema=False)
    assert 4_200 <= secure.height <= 4_800
    assert 25_000 <= community.height <= 31_000
    assert 2_800 <= cases.height <= 3_200
    # some later files correct earlier records: a key sent twice with different exit dates
    repeated = secure.group_by("EPISODID").agg(pl.col("PRISEXDT").n_unique().alias("n")).filter(pl.col("n") > 1)
    assert repeated.height > 0


def test_blocks_append_to_the_same_files_with_ids_that_go_on(tmp_path, monkeypatch):
    # blocks of scale 0.01: scale 0.02 is two blocks, each written before the next is drawn
    from pipelines.dev import generate as generator

    monkeypatch.setattr(generator, "BLOCK_SCALE", 0.01)
    assert generator._block_scales(0.02) == [0.01, 0.01]
    out = tmp_path / "blocks"
    manifest = generate(out, GeneratorConfig(seed=7, scale=0.02))
    con = duckdb.connect()
    code_lists = load_code_lists()
    for extract in EXTRACTS:
        summary = load_extract(con, out, extract, code_lists)
        # no key twice across the blocks (a duplicate key would be quarantined) and every file
        # has one header: every row passes the contract
        assert summary.rejected == [], extract.name
        assert summary.total("rows_quarantined") == 0, extract.name
        assert summary.total("rows_loaded") == manifest["rows"][extract.name], extract.name
    secure = pl.read_csv(out / "ndtms_secure" / "*.csv", infer_schema=False)
    # the second block's ids go on from the first's: an id sent twice is a correction of the
    # same person (never a second block's other person), and the largest id is at least the
    # number of ids (had the second block started again at S00000001, it would be about half)
    people = secure.group_by("EPISODID").agg(pl.struct("DOB", "FINITIAL", "SINITIAL").n_unique().alias("n"))
    assert people["n"].max() == 1
    assert int(people["EPISODID"].max()[1:]) >= people.height
    # the same two blocks again: the same bytes
    again = tmp_path / "again"
    generate(again, GeneratorConfig(seed=7, scale=0.02))
    assert digest(again) == digest(out)


def test_faults_need_one_block(tmp_path, monkeypatch):
    from pipelines.dev import generate as generator

    monkeypatch.setattr(generator, "BLOCK_SCALE", 0.01)
    with pytest.raises(ValueError, match="--faults needs --scale 0.01 or less"):
        generate(tmp_path / "x", GeneratorConfig(seed=7, scale=0.02, faults=0.01))
