"""Read, validate and load landing-folder extracts into the DuckDB raw layer.

One road for every line of every file (``docs/architecture.md``):

    landing/<extract>/<extract>_<YYYYMMDD>.csv
      -> read_extract_file()   whole-file checks: name, encoding, CSV shape, header
      -> validate()            row checks from the contract: required, dates, codes, keys
      -> load_extract()        valid rows -> raw.<extract>; failed rows -> raw.quarantine;
                               unreadable files -> raw.rejected_files

Raw holds every value normalised by the contract's one rule (``contract.normalised``: every
whitespace character trimmed, empty = missing, case-insensitive columns upper-cased), so
staging and everything after it compare values exactly as the loader validated them;
raw.quarantine keeps each failed line as it was written. The staging models do the typing,
and "the latest extract wins per key" is applied there, so raw is a full history. Each file
is loaded in one transaction, so a crash never leaves half a file behind, and a file whose
sha256 is already loaded (or withdrawn, ``pipelines/withdraw.py``) is skipped. A rejected
file is not "seen": once fixed (renamed, re-sent, the size limit raised) the next run loads it.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from pipelines.contract import (
    EXTRACTS,
    IDENTIFYING_FIELDS,
    Column,
    Extract,
    Kind,
    codes_for,
    load_code_lists,
    normalised,
)

log = logging.getLogger(__name__)

LINEAGE_COLUMNS = ["_source_file", "_file_sha256", "_line_number", "_extract_date", "_loaded_at"]
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
# A landing file larger than this is refused before it is read, so memory stays bounded
# (a file is validated in memory; the largest generated at national scale x 10 is ~100 MB).
MAX_FILE_BYTES = int(os.environ.get("CONTINUITY_MAX_FILE_BYTES", 1024**3))

DDL = """
create schema if not exists raw;
create table if not exists raw.quarantine (
    source_file varchar, line_number integer, column_name varchar, reason varchar,
    raw_line varchar, extract varchar, file_sha256 varchar, quarantined_at timestamp
);
create table if not exists raw.rejected_files (
    source_file varchar, reason varchar, extract varchar, file_sha256 varchar,
    rejected_at timestamp
);
create table if not exists raw.loaded_files (
    extract varchar, source_file varchar, file_sha256 varchar, extract_date date,
    rows_read integer, rows_loaded integer, rows_quarantined integer, loaded_at timestamp
);
create table if not exists raw.withdrawn_files (
    extract varchar, source_file varchar, file_sha256 varchar, rows_withdrawn integer,
    reason varchar, withdrawn_by varchar, withdrawn_at timestamp,
    undo_reason varchar, undone_by varchar, undone_at timestamp
);
"""


class RejectedFile(Exception):
    """A file that cannot be read at all: nothing from it is loaded."""


@dataclass
class FileResult:
    source_file: str
    status: str  # loaded | skipped | withdrawn | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class ExtractSummary:
    extract: str
    folder_present: bool
    files: list[FileResult] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "skipped"]

    def line(self) -> str:
        if not self.folder_present:
            return f"{self.extract}: no landing folder, no rows"
        text = (
            f"{self.extract}: {len(self.files)} file(s), {self.total('rows_loaded')} rows loaded, "
            f"{self.total('rows_quarantined')} quarantined"
        )
        if self.skipped:
            text += f", {len(self.skipped)} already loaded (skipped)"
        withdrawn = [f for f in self.files if f.status == "withdrawn"]
        if withdrawn:
            text += f", {len(withdrawn)} withdrawn (not loaded)"
        if self.rejected:
            text += f", {len(self.rejected)} file(s) rejected"
        return text


def raw_table_ddl(extract: Extract) -> str:
    cols = ", ".join(f'"{c}" varchar' for c in extract.column_names)
    return (
        f"create table if not exists raw.{extract.name} ({cols}, _source_file varchar, "
        "_file_sha256 varchar, _line_number integer, _extract_date date, _loaded_at timestamp)"
    )


def ensure_raw_schema(con) -> None:
    """Create every raw table, so downstream models work whichever extracts are present."""
    con.execute(DDL)
    for extract in EXTRACTS:
        con.execute(raw_table_ddl(extract))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_date_from_name(path: Path, extract: Extract) -> date:
    m = re.fullmatch(rf"{extract.name}_(\d{{8}})\.csv", path.name)
    if not m:
        raise RejectedFile(f"file name does not match {extract.name}_<YYYYMMDD>.csv")
    try:
        return datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        raise RejectedFile(f"'{m.group(1)}' in the file name is not a valid date") from None


def discover(landing: Path, extract: Extract) -> tuple[bool, list[Path]]:
    """Files of one extract's landing folder, in name (so extract-date) order. Hidden files
    are ignored; a folder that is a link out of the landing folder is not read."""
    folder = landing / extract.name
    if not folder.is_dir():
        return False, []
    if not folder.resolve().is_relative_to(landing.resolve()):
        raise RejectedFile(f"{extract.name}/ is a link out of the landing folder: not read")
    return True, sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _find_ragged_line(data: bytes, width: int) -> str:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    for row in reader:
        if len(row) > width:
            return f"line {reader.line_num}: {len(row)} fields where the header has {width}"
    return "a row has more fields than the header"


def read_extract_file(path: Path, extract: Extract) -> tuple[pl.DataFrame, list[str]]:
    """Read one landing file as text columns, or raise RejectedFile saying why."""
    if path.is_symlink() or not path.is_file():
        raise RejectedFile("not a regular file (links and folders are not read)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise RejectedFile(
            f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit (CONTINUITY_MAX_FILE_BYTES): "
            "split it into smaller extracts"
        )
    if size == 0:
        raise RejectedFile("file is empty (no header row)")
    data = path.read_bytes()
    if b"\x00" in data:
        raise RejectedFile("file contains NUL bytes: not a text CSV")
    if b"\r" in data and b"\n" not in data:
        raise RejectedFile(
            "lines end in CR only (old Mac format), so the file reads as one line: save it with LF or CRLF line endings"
        )
    try:
        text_head = data[:65536].decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < 65532:  # not just a multi-byte character cut at the boundary
            line = data[: e.start].count(b"\n") + 1
            raise RejectedFile(f"not UTF-8 text (line {line}, byte offset {e.start})") from None
        text_head = data[: e.start].decode("utf-8-sig")
    try:
        header = next(csv.reader(io.StringIO(text_head)), [])
    except csv.Error as e:
        raise RejectedFile(f"the header row is not readable CSV: {e}") from None
    header = [h.strip().upper() for h in header]
    missing = [c for c in extract.required_columns if c not in header]
    if missing:
        raise RejectedFile(f"header lacks required column(s) {', '.join(missing)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise RejectedFile(f"header repeats column(s) {', '.join(duplicated)}")
    warnings = []
    extra = [h for h in header if h not in extract.column_names]
    if extra:
        warnings.append(f"extra column(s) ignored: {', '.join(extra)}")
    try:
        df = pl.read_csv(data, infer_schema=False, has_header=True, new_columns=header, encoding="utf8")
    except pl.exceptions.ComputeError as e:
        message = str(e).splitlines()[0]
        if "invalid utf-8" in message:
            raise RejectedFile("not UTF-8 text") from None
        if "more fields" in message:
            raise RejectedFile(_find_ragged_line(data, len(header))) from None
        raise RejectedFile(f"not a readable CSV: {message}") from None
    for name in extract.column_names:  # optional columns absent from the header are empty
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    return df.select(extract.column_names), warnings


def _column_checks(column: Column, codes: list[str], extract_date: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    """This column's checks, in order: (condition true when the value breaks the contract,
    the reason). Reads the normalised value (``contract.normalised``); an identifying field's
    value never reaches the reason, which is printed to the terminal and logs."""
    v = pl.col(column.name)
    if column.name in IDENTIFYING_FIELDS:
        shown = pl.lit(f"{column.name} (value withheld: identifying field)")
    else:
        shown = pl.lit(f"{column.name} '") + v + pl.lit("'")
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if column.required:
        checks.append((v.is_null(), pl.lit(f"missing required field {column.name}")))
    if column.kind is Kind.DATE:
        bad = ~v.str.contains(ISO_DATE) | v.str.strptime(pl.Date, "%Y-%m-%d", strict=False).is_null()
        checks.append((v.is_not_null() & bad, shown + pl.lit(" is not a valid date (YYYY-MM-DD)")))
        if column.age_range is not None and extract_date is not None:
            youngest, oldest = column.age_range
            born = v.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            earliest, latest = _years_before(extract_date, oldest), _years_before(extract_date, youngest)
            checks.append(
                (
                    born.is_not_null() & ((born < earliest) | (born > latest)),
                    # the date itself is identifying: it stays in raw.quarantine.raw_line only
                    pl.lit(
                        f"{column.name} is not a plausible date of birth (age {youngest} to {oldest} on the "
                        f"extract date {extract_date.isoformat()}: born {earliest.isoformat()} to {latest.isoformat()})"
                    ),
                )
            )
    if column.kind is Kind.CODE:
        checks.append(
            (
                v.is_not_null() & ~v.is_in(codes),
                shown + pl.lit(" is not in the code list"),
            )
        )
    if column.kind is Kind.NUMBER:
        number = v.cast(pl.Float64, strict=False)
        bad = number.is_null() | (number < column.minimum) | (number > column.maximum)
        if column.integer:
            bad = bad | (number.round(0) != number)
        kind = "an integer" if column.integer else "a number"
        checks.append(
            (
                v.is_not_null() & bad,
                shown + pl.lit(f" is not {kind} from {column.minimum:g} to {column.maximum:g}"),
            )
        )
    if column.pattern:
        checks.append(
            (
                v.is_not_null() & ~v.str.contains(column.pattern),
                shown + pl.lit(f" is not {column.describe_pattern()}"),
            )
        )
    return checks


def _first_reason(checks: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The reason of the first failing check, or null."""
    expr = pl.when(checks[0][0]).then(checks[0][1])
    for condition, reason in checks[1:]:
        expr = expr.when(condition).then(reason)
    return expr.otherwise(None)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def validate(
    df: pl.DataFrame, extract: Extract, code_lists: dict, extract_date: date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a file's rows into valid rows (normalised) and quarantine rows (one per failed
    line, the line as written).

    A failed line gets one quarantine row naming its first failing column and every reason,
    so rows in raw plus rows in quarantine always equal the data lines read.
    """
    written = df
    df = df.select([normalised(c) for c in extract.columns])
    checks: list[tuple[str, list[tuple[pl.Expr, pl.Expr]]]] = []
    for column in extract.columns:
        column_checks = _column_checks(column, codes_for(column, code_lists), extract_date)
        if column_checks:
            checks.append((column.name, column_checks))
    key = pl.col(extract.key)
    key_shown = pl.lit("(value withheld: identifying field)") if extract.key in IDENTIFYING_FIELDS else "'" + key + "'"
    # every line of a key repeated in the file fails, so counting within failing lines is exact
    duplicate = key.is_not_null() & key.is_duplicated()
    repeated = (
        pl.lit(f"duplicate key {extract.key} ")
        + key_shown
        + pl.lit(" (")
        + key.count().over(key).cast(pl.String)
        + pl.lit(" rows in this file; all quarantined)")
    )
    checks.append((extract.key, [(duplicate, repeated)]))
    # Two passes: which lines fail is decided with conditions only (no strings built for the
    # lines that pass), then the reasons are written for the failing lines alone.
    conditions = [condition.fill_null(False) for _, column_checks in checks for condition, _ in column_checks]
    flagged = df.with_row_index("_row").with_columns(_failed=pl.any_horizontal(conditions))
    good = flagged.filter(~pl.col("_failed")).select(extract.column_names + ["_row"])
    bad = flagged.filter(pl.col("_failed")).with_columns(
        [_first_reason(column_checks).alias(f"_p{i}") for i, (_, column_checks) in enumerate(checks)]
    )
    pcols = [f"_p{i}" for i in range(len(checks))]
    bad = bad.with_columns(
        _reason=pl.concat_str([pl.col(c) for c in pcols], separator="; ", ignore_nulls=True),
        _column=pl.coalesce(
            [pl.when(pl.col(c).is_not_null()).then(pl.lit(name)) for c, (name, _) in zip(pcols, checks, strict=True)]
        ),
    )
    as_written = written.select(extract.column_names).with_row_index("_row").join(bad.select("_row"), on="_row")
    quarantine = bad.select(
        line_number=(pl.col("_row") + 2).cast(pl.Int32),
        column_name=pl.col("_column"),
        reason=pl.col("_reason"),
        raw_line=pl.Series(
            [_csv_line(r) for r in as_written.sort("_row").select(extract.column_names).rows()], dtype=pl.String
        ),
    )
    return good, quarantine


def _csv_line(values: tuple) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def _already_seen(con, sha: str) -> str | None:
    """'skipped' when this content is loaded, 'withdrawn' when an analyst withdrew it (until
    the withdrawal is undone); None otherwise. Rejections are not remembered: a rejected file
    is read again by every run, so once fixed it loads."""
    rows = con.execute(
        "select 'skipped' from raw.loaded_files where file_sha256 = $sha "
        "union all select 'withdrawn' from raw.withdrawn_files where file_sha256 = $sha and undone_at is null",
        {"sha": sha},
    ).fetchall()
    return rows[0][0] if rows else None


def _record_identical_copy(con, path: Path, extract: Extract, source_file: str, sha: str, now: datetime) -> None:
    """A file whose content is already loaded under another name (an extract re-sent
    unchanged for a later date) loads no rows, but is recorded in raw.loaded_files (0 rows)
    so that its extract date counts: the extract is current to that date (pipelines/gates.py)."""
    try:
        extract_date = extract_date_from_name(path, extract)
    except RejectedFile:
        return
    known = con.execute(
        "select 1 from raw.loaded_files where file_sha256 = ? and source_file = ?", [sha, source_file]
    ).fetchall()
    if not known:
        con.execute(
            "insert into raw.loaded_files values (?, ?, ?, ?, 0, 0, 0, ?)",
            [extract.name, source_file, sha, extract_date, now],
        )


def _unreadable(e: OSError) -> RejectedFile:
    """An operating-system error reading a file, as a one-line rejection reason."""
    import errno

    what = {
        errno.EACCES: "permission denied: the pipeline's user cannot read the file (check its owner and mode)",
        errno.EPERM: "permission denied: the pipeline's user cannot read the file (check its owner and mode)",
        errno.EISDIR: "not a regular file (links and folders are not read)",
    }.get(e.errno, f"cannot be read: {e.strerror or e}")
    return RejectedFile(what)


@dataclass
class Prepared:
    """One new file read and validated, ready to write: everything but the database work."""

    source_file: str
    sha: str
    extract_date: date
    rows_read: int
    good: pl.DataFrame
    quarantine: pl.DataFrame
    warnings: list[str]


def _reject(con, source_file: str, extract: Extract, sha: str, error: RejectedFile) -> FileResult:
    con.execute(
        "insert into raw.rejected_files values (?, ?, ?, ?, ?)",
        [source_file, str(error), extract.name, sha, datetime.now()],
    )
    log.error("%s rejected: %s", source_file, error)
    return FileResult(source_file, "rejected", reason=str(error))


def prepare_file(path: Path, extract: Extract, code_lists: dict, sha: str) -> Prepared:
    """Read and validate one file (no database work, so it can run while the previous file is
    written), or raise RejectedFile saying why it cannot be read."""
    source_file = f"{extract.name}/{path.name}"
    extract_date = extract_date_from_name(path, extract)
    try:
        df, warnings = read_extract_file(path, extract)
    except OSError as e:
        raise _unreadable(e) from None
    good, quarantine = validate(df, extract, code_lists, extract_date)
    return Prepared(source_file, sha, extract_date, df.height, good, quarantine, warnings)


def write_prepared(con, extract: Extract, prepared: Prepared) -> FileResult:
    """Valid rows to raw.<extract>, failed lines to raw.quarantine and the file to
    raw.loaded_files, in one transaction. Arrow hand-over without copies (string views)."""
    now = datetime.now()
    newest = pl.CompatLevel.newest()
    raw_rows = prepared.good.select(
        *extract.column_names,
        _source_file=pl.lit(prepared.source_file),
        _file_sha256=pl.lit(prepared.sha),
        _line_number=(pl.col("_row") + 2).cast(pl.Int32),
        _extract_date=pl.lit(prepared.extract_date),
        _loaded_at=pl.lit(now),
    ).to_arrow(compat_level=newest)
    q_rows = prepared.quarantine.select(
        source_file=pl.lit(prepared.source_file),
        line_number=pl.col("line_number"),
        column_name=pl.col("column_name"),
        reason=pl.col("reason"),
        raw_line=pl.col("raw_line"),
        extract=pl.lit(extract.name),
        file_sha256=pl.lit(prepared.sha),
        quarantined_at=pl.lit(now),
    ).to_arrow(compat_level=newest)
    counts = [prepared.rows_read, prepared.good.height, prepared.quarantine.height]
    con.execute("begin transaction")
    try:
        con.register("_raw_rows", raw_rows)
        con.register("_q_rows", q_rows)
        con.execute(f"insert into raw.{extract.name} select * from _raw_rows")
        con.execute("insert into raw.quarantine select * from _q_rows")
        con.execute(
            "insert into raw.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?)",
            [extract.name, prepared.source_file, prepared.sha, prepared.extract_date, *counts, now],
        )
        con.execute("commit")
    except Exception:
        # a failed statement (disk full, say) may already have ended the transaction: the
        # rollback must not hide the real cause behind "no transaction is active"
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
    finally:
        con.unregister("_raw_rows")
        con.unregister("_q_rows")
    for warning in prepared.warnings:
        log.warning("%s: %s", prepared.source_file, warning)
    for row in prepared.quarantine.head(5).iter_rows(named=True):
        log.warning("%s line %s: %s", prepared.source_file, row["line_number"], row["reason"])
    return FileResult(prepared.source_file, "loaded", *counts, warnings=prepared.warnings)


def _triage(con, path: Path, extract: Extract) -> tuple[str, FileResult | None]:
    """A file's sha256, and its result when it needs no reading: already loaded (an identical
    copy under a new name is recorded), withdrawn, or unreadable."""
    source_file = f"{extract.name}/{path.name}"
    sha = ""
    try:
        sha = sha256_of(path) if path.is_file() and not path.is_symlink() else ""
    except OSError as e:
        return sha, _reject(con, source_file, extract, sha, _unreadable(e))
    seen = _already_seen(con, sha) if sha else None
    if seen == "skipped":
        _record_identical_copy(con, path, extract, source_file, sha, datetime.now())
    return sha, FileResult(source_file, seen) if seen else None


def load_files(con, paths: list[Path], extract: Extract, code_lists: dict) -> list[FileResult]:
    """Load each new file in order, one transaction per file. The next file is read and
    validated on a second thread while the current one is written (Polars and DuckDB both
    release the GIL), so at most two files are in memory at once."""
    from concurrent.futures import ThreadPoolExecutor

    results: list[FileResult] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
        triaged = [(path, *_triage(con, path, extract)) for path in paths]
        to_read = [(path, sha) for path, sha, done in triaged if done is None]
        futures = {}

        def read_ahead(i: int) -> None:
            if i < len(to_read):
                futures[i] = reader.submit(prepare_file, to_read[i][0], extract, code_lists, to_read[i][1])

        read_ahead(0)
        next_read = 0
        for path, sha, done in triaged:
            if done is not None:
                results.append(done)
                continue
            future = futures.pop(next_read)
            next_read += 1
            read_ahead(next_read)  # the following file is read while this one is written
            try:
                prepared = future.result()
            except RejectedFile as e:
                results.append(_reject(con, f"{extract.name}/{path.name}", extract, sha, e))
                continue
            results.append(write_prepared(con, extract, prepared))
    return results


def load_extract(con, landing: Path, extract: Extract, code_lists: dict | None = None) -> ExtractSummary:
    """Load every new file of one extract's landing folder into the raw layer."""
    code_lists = code_lists if code_lists is not None else load_code_lists()
    ensure_raw_schema(con)
    try:
        present, paths = discover(landing, extract)
    except RejectedFile as e:
        con.execute(
            "insert into raw.rejected_files values (?, ?, ?, ?, ?)",
            [f"{extract.name}/", str(e), extract.name, "", datetime.now()],
        )
        summary = ExtractSummary(extract.name, True)
        summary.files.append(FileResult(f"{extract.name}/", "rejected", reason=str(e)))
        return summary
    summary = ExtractSummary(extract.name, present)
    summary.files.extend(load_files(con, paths, extract, code_lists))
    return summary
