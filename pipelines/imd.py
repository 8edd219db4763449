"""Convert the English Indices of Deprivation 2019 "File 7" CSV into seeds/imd.csv."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.contract import SEEDS_DIR

LSOA_COLUMN = "LSOA code (2011)"
DECILE_COLUMN = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"


def convert_file7(file7: Path, out: Path = SEEDS_DIR / "imd.csv") -> int:
    """Write lsoa_code,imd_decile from File 7; return the number of LSOAs written."""
    header = pl.read_csv(file7, n_rows=0).columns
    missing = [c for c in (LSOA_COLUMN, DECILE_COLUMN) if c not in header]
    if missing:
        raise ValueError(f"{file7} is not IoD2019 File 7: no column(s) {', '.join(repr(c) for c in missing)}")
    table = (
        pl.read_csv(file7, columns=[LSOA_COLUMN, DECILE_COLUMN], infer_schema=False)
        .select(
            lsoa_code=pl.col(LSOA_COLUMN).str.strip_chars(),
            imd_decile=pl.col(DECILE_COLUMN).str.strip_chars().cast(pl.Int32),
        )
        .sort("lsoa_code")
    )
    bad = table.filter(~pl.col("imd_decile").is_between(1, 10))
    if bad.height:
        raise ValueError(f"{file7}: decile outside 1-10 for {bad['lsoa_code'][0]}")
    table.write_csv(out)
    return table.height
