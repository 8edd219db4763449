"""The English Indices of Deprivation 2019 "File 7" CSV, checked and made the IMD a run uses.

seeds/imd.csv is a tracked sample (the generator's LSOAs); a user's official file never
goes into the source tree. `continuity imd` checks File 7 whole (every English LSOA 2011
present once, deciles 1-10) and loads it into the warehouse as reference.imd_file7, which
models/staging/reference/stg_reference__imd.sql uses in place of the sample when it exists
(or writes lsoa_code,imd_decile to a CSV the user names)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

LSOA_COLUMN = "LSOA code (2011)"
DECILE_COLUMN = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
ENGLISH_LSOAS_2011 = 32_844  # every LSOA 2011 in England, each ranked by IoD2019
ENGLISH_LSOA = re.compile(r"E01\d{6}")
SHOWN_PROBLEMS = 10
# reference.imd is the seed dbt rewrites each build: the official file is a table of its own
REFERENCE_SCHEMA, REFERENCE_TABLE = "reference", "imd_file7"


class File7Error(ValueError):
    """File 7 is not usable: the message names each problem with its line."""


def _problems(table: pl.DataFrame) -> list[str]:
    """Each line that is not an English LSOA with a decile 1-10, and each LSOA found twice.
    `line` is the file's line number (the header is line 1)."""
    problems = []
    for line, code, decile in table.select("line", "lsoa_code", "decile_text").iter_rows():
        if code is None or not ENGLISH_LSOA.fullmatch(code):
            problems.append(f"line {line}: {code!r} is not an English LSOA 2011 code (E01 and six digits)")
        elif decile is None or not decile.isdigit() or not 1 <= int(decile) <= 10:
            problems.append(f"line {line}: {code} has IMD decile {decile!r}, not a whole number 1-10")
        if len(problems) > SHOWN_PROBLEMS:
            return problems
    repeated = table.filter(pl.col("lsoa_code").is_duplicated()).group_by("lsoa_code").agg(pl.col("line").sort())
    for code, lines in repeated.sort("lsoa_code").head(SHOWN_PROBLEMS).iter_rows():
        problems.append(f"lines {', '.join(map(str, lines))}: {code} appears {len(lines)} times")
    return problems


def read_file7(file7: Path) -> pl.DataFrame:
    """lsoa_code, imd_decile from File 7, sorted, after checking it whole.

    Raises File7Error naming the first problems with their line numbers: a missing column,
    a code that is not an English LSOA, a decile outside 1-10, an LSOA twice, or a count
    other than England's 32,844 LSOAs (a partial or regional file would leave releases from
    the rest of England without a quintile and bias every IMD breakdown)."""
    try:
        header = pl.read_csv(file7, n_rows=0).columns
    except (OSError, pl.exceptions.PolarsError) as e:
        raise File7Error(f"{file7} cannot be read as CSV: {e}") from None
    missing = [c for c in (LSOA_COLUMN, DECILE_COLUMN) if c not in header]
    if missing:
        raise File7Error(f"{file7} is not IoD2019 File 7: no column(s) {', '.join(repr(c) for c in missing)}")
    table = (
        pl.read_csv(file7, columns=[LSOA_COLUMN, DECILE_COLUMN], infer_schema=False)
        .with_row_index("line", offset=2)
        .select(
            "line",
            lsoa_code=pl.col(LSOA_COLUMN).str.strip_chars(),
            decile_text=pl.col(DECILE_COLUMN).str.strip_chars(),
        )
    )
    problems = _problems(table)
    if not problems and table.height != ENGLISH_LSOAS_2011:
        problems.append(
            f"{table.height:,} LSOAs, but IoD2019 ranks all {ENGLISH_LSOAS_2011:,} English LSOAs 2011: "
            "use the whole File 7"
        )
    if problems:
        shown = problems[:SHOWN_PROBLEMS]
        more = f"; and more ({len(problems) - len(shown)}+)" if len(problems) > len(shown) else ""
        raise File7Error(f"{file7} is not usable: " + "; ".join(shown) + more)
    return table.select("lsoa_code", imd_decile=pl.col("decile_text").cast(pl.Int32)).sort("lsoa_code")


def convert_file7(file7: Path, out: Path) -> int:
    """Check File 7 and write lsoa_code,imd_decile to `out` (a CSV); return the LSOAs written."""
    table = read_file7(file7)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.write_csv(out)
    return table.height


def load_file7(con, file7: Path) -> int:
    """Check File 7 and replace reference.imd in the warehouse (one transaction); return
    the LSOAs loaded. dbt reads it through stg_reference__imd from the next run."""
    table = read_file7(file7)
    con.execute("begin")
    con.execute(f"create schema if not exists {REFERENCE_SCHEMA}")
    con.register("file7", table.to_arrow())
    con.execute(
        f"create or replace table {REFERENCE_SCHEMA}.{REFERENCE_TABLE} as "
        "select cast(lsoa_code as varchar) as lsoa_code, cast(imd_decile as integer) as imd_decile from file7"
    )
    con.unregister("file7")
    con.execute("commit")
    return table.height
