"""Take back a loaded file: `continuity withdraw FILE --reason TEXT`.

A file found to be wrong after it was loaded (the wrong quarter sent twice, a provider's
faulty export) must stop counting without deleting the warehouse or waiting for a correcting
extract. Withdrawing removes the file's rows from raw.<extract> and raw.quarantine and its
raw.loaded_files row, in one transaction, and records who withdrew it, why and when in
raw.withdrawn_files. Staging reads raw, so from the next run the file's rows count nowhere:
an earlier version of each of its records is the latest again. The loader skips a withdrawn
file (by sha256) while the withdrawal stands, so leaving it in the landing folder is safe;
`--undo` ends the withdrawal and the next run loads the file again from the landing folder.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.load import ensure_raw_schema, sha256_of


class WithdrawError(Exception):
    """The file cannot be withdrawn (or reinstated): the message says why."""


@dataclass
class Withdrawal:
    extract: str
    source_file: str
    file_sha256: str
    rows: int


def _find(con, file: str, table: str, where: str = "") -> tuple[str, str, str]:
    """(extract, source_file, sha256) of FILE: a path to the file itself (matched by content)
    or its name as raw.loaded_files records it (`ndtms_secure/ndtms_secure_20240630.csv` or
    just the file name)."""
    path = Path(file)
    if path.is_file():
        rows = con.execute(
            f"select extract, source_file, file_sha256 from raw.{table} where file_sha256 = ? {where}",
            [sha256_of(path)],
        ).fetchall()
    else:
        rows = con.execute(
            f"select extract, source_file, file_sha256 from raw.{table} "
            f"where (source_file = $f or ends_with(source_file, '/' || $f)) {where}",
            {"f": file},
        ).fetchall()
    rows = sorted(set(rows))
    if len(rows) > 1:
        raise WithdrawError(f"{file} matches {len(rows)} files: name it as extract/file.csv")
    if not rows:
        what = "loaded" if table == "loaded_files" else "withdrawn"
        raise WithdrawError(f"{file} is not a {what} file (see raw.{table})")
    return rows[0]


def withdraw(con, file: str, reason: str, who: str, lake: Path | None = None) -> Withdrawal:
    """Withdraw a loaded file; with a `lake` (the raw rows are there: pipelines/lake.py) its
    lake files are removed once the withdrawal is recorded."""
    if not reason.strip():
        raise WithdrawError("say why the file is withdrawn (--reason TEXT)")
    ensure_raw_schema(con)
    extract, source_file, sha = _find(con, file, "loaded_files")
    con.execute("begin transaction")
    try:
        count = (
            "select coalesce(sum(rows_loaded), 0) from raw.loaded_files where file_sha256 = ?"
            if lake is not None
            else f"select count(*) from raw.{extract} where _file_sha256 = ?"
        )
        rows = con.execute(count, [sha]).fetchall()[0][0]
        con.execute(f"delete from raw.{extract} where _file_sha256 = ?", [sha])
        con.execute("delete from raw.quarantine where file_sha256 = ?", [sha])
        con.execute("delete from raw.loaded_files where file_sha256 = ?", [sha])
        con.execute(
            "insert into raw.withdrawn_files values (?, ?, ?, ?, ?, ?, ?, null, null, null)",
            [extract, source_file, sha, rows, reason.strip(), who, datetime.now()],
        )
        con.execute("commit")
    except Exception:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
    if lake is not None:
        from pipelines.lake import files_of, remove

        remove(files_of(lake, sha))
    return Withdrawal(extract, source_file, sha, rows)


def undo(con, file: str, reason: str, who: str) -> Withdrawal:
    """End a withdrawal: the next run loads the file again if it is in the landing folder."""
    ensure_raw_schema(con)
    extract, source_file, sha = _find(con, file, "withdrawn_files", "and undone_at is null")
    con.execute(
        "update raw.withdrawn_files set undo_reason = ?, undone_by = ?, undone_at = ? "
        "where file_sha256 = ? and undone_at is null",
        [reason.strip(), who, datetime.now(), sha],
    )
    return Withdrawal(extract, source_file, sha, 0)
