"""Tiny landing folders written by code, not committed blobs (style.md). Every row builder
gives a valid row; a test overrides the one field it is about."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipelines.contract import EXTRACTS_BY_NAME

PERSON = {
    "FINITIAL": "A",
    "SINITIAL": "B",
    "DOB": "1990-05-17",
    "SEX": "1",
    "GENDER": "M",
    "ETHNIC": "A",
    "DISABLE": "N",
}


def secure_row(**fields) -> dict:
    row = {
        "EPISODID": "S1",
        "AGNCY": "PLEI",
        "ESTAB": "LEI",
        "CLIENT": "PC1",
        **PERSON,
        "RECEPDT": "2023-01-10",
        "TRIAGED": "2023-01-12",
        "DRUG1": "1011",
        "DISD": "2023-06-01",
        "DISRSN": "83",
        "RORSTAT": "1",
        "PRISEXDT": "2023-06-01",
        "PRISEXRSN": "REL",
        "EXITDEST": "E08000035",
        "LSOA": "E01000010",
        "INREACH": "N",
    }
    return {**row, **fields}


def community_row(**fields) -> dict:
    row = {
        "EPISODID": "C1",
        "AGNCY": "A8000035",
        "CLIENT": "CC1",
        **PERSON,
        "UTLA": "E08000035",
        "REFLD": "2023-05-30",
        "RFLS": "PRI",
        "TRIAGED": "2023-06-05",
        "DRUG1": "1011",
    }
    return {**row, **fields}


def intervention_row(**fields) -> dict:
    row = {
        "MODID": "M1",
        "EPISODID": "C1",
        "MODAL": "01",
        "REFMODDT": "2023-06-05",
        "FAOMODDT": "2023-06-06",
        "MODST": "2023-06-08",
    }
    return {**row, **fields}


def case_row(**fields) -> dict:
    row = {"CRN": "X123456", **PERSON, "PROBREG": "N52", "ESTAB": "LEI", "RELDT": "2023-06-01", "UTLA": "E08000035"}
    return {**row, **fields}


def csv_text(extract: str, rows: list[dict], header: list[str] | None = None) -> str:
    header = header or EXTRACTS_BY_NAME[extract].column_names
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_extract(
    landing: Path,
    extract: str,
    extract_date: str,
    rows: list[dict] | None = None,
    text: str | bytes | None = None,
    header: list[str] | None = None,
) -> Path:
    """Write landing/<extract>/<extract>_<YYYYMMDD>.csv from rows, or raw text/bytes."""
    folder = landing / extract
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{extract}_{extract_date.replace('-', '')}.csv"
    content = text if text is not None else csv_text(extract, rows or [], header)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


TEST_KEY = "test-key-not-secret-but-32-characters-long"


def load_and_build(landing: Path, warehouse: Path, extracts: list[str], select: list[str], *flags: str) -> None:
    """A quarter as a run takes it, without the rest of the run: the loader loads the landing's
    new files of `extracts`, then dbt (a subprocess, as a run starts it) builds the `select`ed
    models and the seeds they read, not their data tests (some relate to models not built here)."""
    import os
    import subprocess

    import duckdb

    from pipelines.contract import PROJECT_DIR
    from pipelines.dbt_runner import dbt_executable
    from pipelines.load import load_extract

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        for extract in extracts:
            load_extract(con, landing, EXTRACTS_BY_NAME[extract])
    finally:
        con.close()
    command = [dbt_executable(), "build", "--select", *select, "--resource-type", "model", "--resource-type", "seed",
               *flags, "--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR),
               "--target-path", str(warehouse.parent / "target")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "CONTINUITY_DEV_KEY_OK"}
    env.update(CONTINUITY_PSEUDO_KEY=TEST_KEY, CONTINUITY_WAREHOUSE=str(warehouse))
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
