"""Read, validate and load landing-folder extracts into the DuckDB raw layer.

One road for every line of every file (``docs/architecture.md``):

    landing/<extract>/<extract>_<YYYYMMDD>.csv
      -> read_layout()         whole-file checks in blocks: name, size, bytes, encoding, header
      -> read_keys()           the key column of every line (a repeated key fails every line)
      -> read_chunks()         the lines, in chunks of about CHUNK_BYTES (32 MiB) of text
      -> validate()            row checks from the contract, chunk by chunk: required, dates,
                               codes, keys
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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from pipelines.contract import (
    EXTRACTS,
    Column,
    Extract,
    Kind,
    codes_for,
    load_code_lists,
    normalised,
    value_withheld,
)

log = logging.getLogger(__name__)

LINEAGE_COLUMNS = ["_source_file", "_file_sha256", "_line_number", "_extract_date", "_loaded_at"]
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def max_file_bytes() -> int:
    """A landing file larger than this is refused before it is read (files are read in chunks,
    so memory does not depend on it; the largest generated at national scale x 30 is ~420 MB):
    CONTINUITY_MAX_FILE_BYTES, read when a file is read (pipelines/settings.py)."""
    from pipelines.settings import Settings

    return Settings.from_env().max_file_bytes


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
            f"{self.extract}: {len(self.files)} file(s), {self.total('rows_loaded'):,} rows loaded, "
            f"{self.total('rows_quarantined'):,} quarantined"
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


# Landing files are read in chunks of whole lines (CHUNK_BYTES of text, 32 MiB), so the
# loader's memory does not grow with the largest file: a file's bytes are checked in blocks
# (NUL, line endings, UTF-8), its key column is read once in chunks (a duplicated key is
# quarantined on every line that holds it, anywhere in the file), then each chunk is read,
# validated and written before the one after next is read.
CHUNK_BYTES = 32 << 20
_SCAN_BLOCK = 1 << 20
# A chunk ends at a line end outside quotes (an even number of quote characters before it); a
# file whose quotes never balance is cut at line ends once the pending text is this many chunks
_MAX_PENDING_CHUNKS = 4


@dataclass
class Layout:
    """A file's header, as read before its rows: enough to read the rows in chunks."""

    header: list[str]  # the header's column names, trimmed and upper-cased
    header_bytes: bytes  # the header record as written (BOM and line end included)
    data_start: int  # byte offset of the first data line
    warnings: list[str]


def _check_bytes(path: Path) -> None:
    """The whole-file byte checks, read in blocks, in the order they are reported: NUL bytes,
    CR-only line endings, then the first byte that is not UTF-8 (its line and byte offset)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    has_cr = has_lf = False
    bad_utf8: str | None = None
    offset = lines = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_SCAN_BLOCK), b""):
            if b"\x00" in block:
                raise RejectedFile("file contains NUL bytes: not a text CSV")
            has_cr = has_cr or b"\r" in block
            has_lf = has_lf or b"\n" in block
            if bad_utf8 is None:
                pending = len(decoder.getstate()[0])  # a character cut at the previous block's end
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as e:
                    line = lines + block[: max(0, e.start - pending)].count(b"\n") + 1
                    bad_utf8 = f"not UTF-8 text (line {line}, byte offset {offset - pending + e.start})"
                lines += block.count(b"\n")
            offset += len(block)
    if bad_utf8 is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_utf8 = f"not UTF-8 text (line {lines + 1}, byte offset {offset - len(decoder.getstate()[0])})"
    if has_cr and not has_lf:
        raise RejectedFile(
            "lines end in CR only (old Mac format), so the file reads as one line: save it with LF or CRLF line endings"
        )
    if bad_utf8:
        raise RejectedFile(bad_utf8)


def read_layout(path: Path, extract: Extract) -> Layout:
    """A landing file's whole-file checks (regular file, size, bytes, header), or RejectedFile
    saying why it cannot be read. Reads the file in blocks, never whole."""
    if path.is_symlink() or not path.is_file():
        raise RejectedFile("not a regular file (links and folders are not read)")
    size = path.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise RejectedFile(
            f"file is {size:,} bytes, over the {limit:,}-byte limit (CONTINUITY_MAX_FILE_BYTES): "
            "split it into smaller extracts"
        )
    if size == 0:
        raise RejectedFile("file is empty (no header row)")
    _check_bytes(path)
    with open(path, "rb") as f:
        head = f.read(65536)
    text_head = head.decode("utf-8-sig", errors="ignore")  # valid UTF-8 (checked), maybe cut mid-character
    reader = csv.reader(io.StringIO(text_head))
    try:
        header = next(reader, [])
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
    # the data starts after the header's last line end (a quoted header name may hold one)
    data_start = 0
    for _ in range(reader.line_num):
        end = head.find(b"\n", data_start)
        if end < 0:  # a header with no line end: no data lines
            data_start = size
            break
        data_start = end + 1
    return Layout(header, head[:data_start] if data_start < size else head + b"\n", data_start, warnings)


def _record_end(buffer: bytes, quoted: bool) -> int:
    """The offset after the last line end in `buffer` that ends a record (outside quotes), or 0."""
    end = buffer.rfind(b"\n")
    if not quoted:
        return end + 1
    while end >= 0:
        if buffer.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = buffer.rfind(b"\n", 0, end)
    return 0


def _chunks(path: Path, layout: Layout, chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(lines before it, text) of each chunk of whole records after the header, about
    `chunk_bytes` each (a record longer than that is one chunk)."""
    lines = layout.header_bytes.count(b"\n")
    with open(path, "rb") as f:
        f.seek(layout.data_start)
        pending = b""
        while True:
            block = f.read(chunk_bytes)
            if not block:
                break
            pending += block
            quoted = b'"' in pending
            end = _record_end(pending, quoted)
            if end == 0 and len(pending) > _MAX_PENDING_CHUNKS * chunk_bytes:
                end = _record_end(pending, False)  # quotes never balance: cut at a line end
            if end == 0:
                continue
            chunk, pending = pending[:end], pending[end:]
            yield lines, chunk
            lines += chunk.count(b"\n")
        if pending:
            yield lines, pending


def _frame(layout: Layout, lines_before: int, text: bytes, columns: list[int] | None = None) -> pl.DataFrame:
    """One chunk as text columns named by the header (or only the `columns` asked for)."""
    data = layout.header_bytes + text
    try:
        if columns is None:
            return pl.read_csv(data, infer_schema=False, has_header=True, new_columns=layout.header, encoding="utf8")
        df = pl.read_csv(data, infer_schema=False, has_header=True, columns=columns, encoding="utf8")
        return df.rename(dict(zip(df.columns, [layout.header[i] for i in columns], strict=True)))
    except pl.exceptions.ComputeError as e:
        message = str(e).splitlines()[0]
        if "invalid utf-8" in message:
            raise RejectedFile("not UTF-8 text") from None
        if "more fields" in message:
            raise RejectedFile(_find_ragged_line(data, len(layout.header), lines_before)) from None
        raise RejectedFile(f"not a readable CSV: {message}") from None


def _find_ragged_line(data: bytes, width: int, lines_before: int = 0) -> str:
    """The first line of `data` (the header, then lines after the file's first `lines_before`
    data lines) with more fields than the header."""
    header_lines = 0
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    for row in reader:
        if not header_lines:
            header_lines = reader.line_num
        elif len(row) > width:
            line = reader.line_num + (lines_before - header_lines if lines_before else 0)
            return f"line {line}: {len(row)} fields where the header has {width}"
    return "a row has more fields than the header"


def _as_contract(df: pl.DataFrame, extract: Extract) -> pl.DataFrame:
    """The contract's columns in order; optional columns absent from the header are empty."""
    for name in extract.column_names:
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    return df.select(extract.column_names)


def read_chunks(path: Path, extract: Extract, layout: Layout, chunk_bytes: int = CHUNK_BYTES) -> Iterator[pl.DataFrame]:
    """The file's data lines as text columns, one frame per chunk, or RejectedFile."""
    for lines_before, text in _chunks(path, layout, chunk_bytes):
        yield _as_contract(_frame(layout, lines_before, text), extract)


def read_keys(path: Path, extract: Extract, layout: Layout, chunk_bytes: int = CHUNK_BYTES) -> pl.DataFrame:
    """The key column of the whole file, normalised, with each line's row number (`_row`, 0 for
    the first data line): the one column the duplicate-key check needs of every line at once."""
    column = layout.header.index(extract.key)
    frames, rows = [], 0
    for lines_before, text in _chunks(path, layout, chunk_bytes):
        keys = _frame(layout, lines_before, text, [column]).select(normalised(extract.column(extract.key)))
        frames.append(keys.with_row_index("_row", offset=rows))
        rows += keys.height
    if not frames:
        return pl.DataFrame(schema={"_row": pl.UInt32, extract.key: pl.String})
    return pl.concat(frames)


def duplicate_keys(keys: pl.DataFrame, key: str) -> pl.DataFrame:
    """Each key on more than one line of a file: how many lines (`_copies`) and the first
    (`_first`, a row number). Lines with no key are never duplicates."""
    return (
        keys.filter(pl.col(key).is_not_null())
        .group_by(key)
        .agg(_copies=pl.len(), _first=pl.col("_row").min())
        .filter(pl.col("_copies") > 1)
    )


def read_extract_file(path: Path, extract: Extract) -> tuple[pl.DataFrame, list[str]]:
    """Read one landing file whole as text columns, or raise RejectedFile saying why (the
    loader reads files in chunks: this is for tools and tests that want the whole frame)."""
    layout = read_layout(path, extract)
    frames = list(read_chunks(path, extract, layout))
    df = (
        pl.concat(frames)
        if frames
        else _as_contract(pl.DataFrame(schema=dict.fromkeys(layout.header, pl.String)), extract)
    )
    return df, layout.warnings


def _column_checks(column: Column, codes: list[str], extract_date: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    """This column's checks, in order: (condition true when the value breaks the contract,
    the reason). Reads the normalised value (``contract.normalised``); the value of an
    identifying field, a record id or a date never reaches the reason, which is printed to the
    terminal and logs (``contract.value_withheld``): the file and line say where it is."""
    v = pl.col(column.name)
    if value_withheld(column):
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


def _repeated_key(extract: Extract) -> tuple[pl.Expr, pl.Expr]:
    """The repeated-key check on a frame joined with ``duplicate_keys``: every line of a key
    repeated in the file fails; the key's value is never shown (a record id): the lines are."""
    repeated = (
        pl.lit(f"duplicate key {extract.key}: ")
        + pl.col("_copies").cast(pl.String)
        + pl.lit(" rows in this file, first on line ")
        + (pl.col("_first") + 2).cast(pl.String)
        + pl.lit("; all quarantined")
    )
    return pl.col("_copies").is_not_null(), repeated


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
    df: pl.DataFrame,
    extract: Extract,
    code_lists: dict,
    extract_date: date | None = None,
    duplicates: pl.DataFrame | None = None,
    first_row: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a file's rows into valid rows (normalised) and quarantine rows (one per failed
    line, the line as written).

    A failed line gets one quarantine row naming its first failing column and every reason,
    so rows in raw plus rows in quarantine always equal the data lines read. `df` is the whole
    file, or one chunk of it: then `first_row` is the row number of its first line and
    `duplicates` the file's repeated keys (``duplicate_keys``), so a key repeated in another
    chunk fails here too.
    """
    written = df
    df = df.select([normalised(c) for c in extract.columns]).with_row_index("_row", offset=first_row)
    if duplicates is None:
        duplicates = duplicate_keys(df.select(extract.key, "_row"), extract.key)
    # how many lines of the file hold this line's key, and the first of them (null: one line)
    df = df.join(duplicates, on=extract.key, how="left", maintain_order="left")
    checks: list[tuple[str, list[tuple[pl.Expr, pl.Expr]]]] = []
    for column in extract.columns:
        column_checks = _column_checks(column, codes_for(column, code_lists), extract_date)
        if column_checks:
            checks.append((column.name, column_checks))
    checks.append((extract.key, [_repeated_key(extract)]))
    # Two passes: which lines fail is decided with conditions only (no strings built for the
    # lines that pass), then the reasons are written for the failing lines alone.
    conditions = [condition.fill_null(False) for _, column_checks in checks for condition, _ in column_checks]
    flagged = df.with_columns(_failed=pl.any_horizontal(conditions))
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
    as_written = (
        written.select(extract.column_names)
        .with_row_index("_row", offset=first_row)
        .join(bad.select("_row"), on="_row")
    )
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
    """One new file checked whole and its key column read: what loading its chunks needs, and
    no database work (so it can run while the previous file is written)."""

    source_file: str
    sha: str
    extract_date: date
    rows_read: int
    warnings: list[str]
    path: Path
    extract: Extract
    layout: Layout
    duplicates: pl.DataFrame  # the file's repeated keys (duplicate_keys)
    code_lists: dict
    chunk_bytes: int = CHUNK_BYTES

    def chunks(self) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        """(valid rows, quarantine rows) of each chunk of the file, read and validated in turn;
        RejectedFile if it cannot be read."""
        first_row = 0
        try:
            for df in read_chunks(self.path, self.extract, self.layout, self.chunk_bytes):
                yield validate(df, self.extract, self.code_lists, self.extract_date, self.duplicates, first_row)
                first_row += df.height
        except OSError as e:
            raise _unreadable(e) from None
        if first_row != self.rows_read:
            raise RejectedFile(f"the file changed while it was read ({self.rows_read:,} then {first_row:,} lines)")


def _reject(con, source_file: str, extract: Extract, sha: str, error: RejectedFile) -> FileResult:
    con.execute(
        "insert into raw.rejected_files values (?, ?, ?, ?, ?)",
        [source_file, str(error), extract.name, sha, datetime.now()],
    )
    log.error("%s rejected: %s", source_file, error)
    return FileResult(source_file, "rejected", reason=str(error))


def prepare_file(path: Path, extract: Extract, code_lists: dict, sha: str, chunk_bytes: int = CHUNK_BYTES) -> Prepared:
    """Check one file whole (name, bytes, header) and read its key column, or raise
    RejectedFile saying why it cannot be read. Its rows are read when it is written."""
    source_file = f"{extract.name}/{path.name}"
    extract_date = extract_date_from_name(path, extract)
    try:
        layout = read_layout(path, extract)
        keys = read_keys(path, extract, layout, chunk_bytes)
    except OSError as e:
        raise _unreadable(e) from None
    duplicates = duplicate_keys(keys, extract.key)
    return Prepared(
        source_file,
        sha,
        extract_date,
        keys.height,
        layout.warnings,
        path,
        extract,
        layout,
        duplicates,
        code_lists,
        chunk_bytes,
    )


def _one_ahead(items: Iterator) -> Iterator:
    """The items of an iterator, the next computed on a second thread while the caller works on
    this one (Polars and DuckDB both release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunk-ahead") as pool:
        following = pool.submit(next, items, done)
        while (item := following.result()) is not done:
            following = pool.submit(next, items, done)
            yield item


def _insert(con, extract: Extract, prepared: Prepared, good, quarantine, now, rows: str | list, lines: str) -> None:
    """One chunk's valid rows into the table `rows` (or, for the lake, appended to the list
    `rows` as Arrow), its failed lines into `lines`. Arrow hand-over without copies (string
    views)."""
    newest = pl.CompatLevel.newest()
    raw_rows = good.select(
        *extract.column_names,
        _source_file=pl.lit(prepared.source_file),
        _file_sha256=pl.lit(prepared.sha),
        _line_number=(pl.col("_row") + 2).cast(pl.Int32),
        _extract_date=pl.lit(prepared.extract_date),
        _loaded_at=pl.lit(now),
    ).to_arrow(compat_level=newest)
    q_rows = quarantine.select(
        source_file=pl.lit(prepared.source_file),
        line_number=pl.col("line_number"),
        column_name=pl.col("column_name"),
        reason=pl.col("reason"),
        raw_line=pl.col("raw_line"),
        extract=pl.lit(extract.name),
        file_sha256=pl.lit(prepared.sha),
        quarantined_at=pl.lit(now),
    ).to_arrow(compat_level=newest)
    if isinstance(rows, list):
        rows.append((raw_rows, q_rows))
    con.register("_raw_rows", raw_rows)
    con.register("_q_rows", q_rows)
    try:
        if not isinstance(rows, list):
            con.execute(f"insert into {rows} select * from _raw_rows")
        con.execute(f"insert into {lines} select * from _q_rows")
    finally:
        con.unregister("_raw_rows")
        con.unregister("_q_rows")


def scratch_tables(extract: Extract) -> tuple[str, str]:
    """The two tables a file of several chunks is written to before it is moved into raw."""
    return f"raw._loading_{extract.name}", f"raw._loading_quarantine_{extract.name}"


def write_prepared(con, extract: Extract, prepared: Prepared, lake: Path | None = None) -> FileResult:
    """Valid rows to raw.<extract>, failed lines to raw.quarantine and the file to
    raw.loaded_files, in one transaction, read and validated one chunk at a time (the next
    chunk while one is written). Raises RejectedFile, with nothing written, if a chunk cannot
    be read.

    A file of more than one chunk is first written chunk by chunk to two scratch tables
    (``scratch_tables``: each chunk committed, so DuckDB holds no more than a chunk in memory),
    then moved into raw in the one transaction; a run that dies part-way leaves only them
    behind, replaced by the next load.

    With a `lake` (dbt on a Spark cluster, pipelines/lake.py) the valid rows go to the lake's
    Parquet instead (the file's chunks gathered and written once: memory then grows with the
    file), and the quarantined lines there too, before the transaction records the file; if it
    fails, the lake files are removed again."""
    now = datetime.now()
    staged = prepared.path.stat().st_size - prepared.layout.data_start > prepared.chunk_bytes
    lake_rows: list = []
    rows, lines = _targets(con, extract, staged, lake_rows if lake is not None else None)
    loaded = quarantined = 0
    in_lake: list = []
    shown: list[dict] = []  # the first quarantined lines, for the log
    try:
        if not staged:
            con.execute("begin transaction")
        for good, quarantine in _one_ahead(prepared.chunks()):
            _insert(con, extract, prepared, good, quarantine, now, rows, lines)
            loaded += good.height
            quarantined += quarantine.height
            shown += quarantine.head(5 - len(shown)).to_dicts() if len(shown) < 5 else []
        if lake is not None:
            in_lake = _write_lake(lake, extract, prepared, lake_rows)
        if staged:
            con.execute("begin transaction")
            if lake is None:
                con.execute(f"insert into raw.{extract.name} from {rows}")
            con.execute(f"insert into raw.quarantine from {lines}")
        counts = [prepared.rows_read, loaded, quarantined]
        con.execute(
            "insert into raw.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?)",
            [extract.name, prepared.source_file, prepared.sha, prepared.extract_date, *counts, now],
        )
        con.execute("commit")
    except BaseException:
        # a failed statement (disk full, say) may already have ended the transaction: the
        # rollback must not hide the real cause behind "no transaction is active"
        with contextlib.suppress(Exception):
            con.execute("rollback")
        _write_lake(None, extract, prepared, [], undo=in_lake)
        raise
    finally:
        if staged:
            with contextlib.suppress(Exception):
                con.execute(f"drop table if exists {scratch_tables(extract)[0]}")
                con.execute(f"drop table if exists {lines}")
    for warning in prepared.warnings:
        log.warning("%s: %s", prepared.source_file, warning)
    for row in shown:
        log.warning("%s line %s: %s", prepared.source_file, row["line_number"], row["reason"])
    return FileResult(prepared.source_file, "loaded", *counts, warnings=prepared.warnings)


def _targets(con, extract: Extract, staged: bool, lake_rows: list | None) -> tuple:
    """Where a file's chunks go: raw.<extract> and raw.quarantine, or the scratch tables of a
    file of several chunks (created empty here); the valid rows to `lake_rows` for the lake."""
    rows, lines = f"raw.{extract.name}", "raw.quarantine"
    if lake_rows is not None:
        rows = lake_rows
    if staged:
        scratch_rows, lines = scratch_tables(extract)
        if lake_rows is None:
            rows = scratch_rows
            con.execute(f"create or replace table {rows} as from raw.{extract.name} limit 0")
        con.execute(f"create or replace table {lines} as from raw.quarantine limit 0")
    return rows, lines


def _write_lake(lake, extract: Extract, prepared: Prepared, chunks: list, undo: list | None = None) -> list:
    """One file's rows (its chunks' raw and quarantined Arrow tables) into the raw lake
    (pipelines/lake.py), before its load is recorded; returns the files written. `undo`:
    remove those files (the load was not recorded)."""
    import pyarrow as pa

    from pipelines import lake as raw_lake

    if undo:
        raw_lake.remove(undo)
    if lake is None or not chunks:
        return []
    raw_rows = pa.concat_tables([r for r, _ in chunks])
    q_rows = pa.concat_tables([q for _, q in chunks])
    return raw_lake.write_file(lake, extract.name, prepared.extract_date, prepared.sha, raw_rows, q_rows)


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


def load_files(
    con,
    paths: list[Path],
    extract: Extract,
    code_lists: dict,
    chunk_bytes: int = CHUNK_BYTES,
    lake: Path | None = None,
) -> list[FileResult]:
    """Load each new file in order, one transaction per file. The next file is checked and its
    keys read on a second thread while the current one is written chunk by chunk, so memory
    holds two chunks and one file's key column, whatever the files' size."""
    from concurrent.futures import ThreadPoolExecutor

    results: list[FileResult] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
        triaged = [(path, *_triage(con, path, extract)) for path in paths]
        to_read = [(path, sha) for path, sha, done in triaged if done is None]
        futures = {}

        def read_ahead(i: int) -> None:
            if i < len(to_read):
                futures[i] = reader.submit(prepare_file, to_read[i][0], extract, code_lists, to_read[i][1], chunk_bytes)

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
                results.append(write_prepared(con, extract, future.result(), lake))
            except RejectedFile as e:  # found reading it, or one of its chunks (nothing written)
                results.append(_reject(con, f"{extract.name}/{path.name}", extract, sha, e))
    return results


def load_extract(
    con,
    landing: Path,
    extract: Extract,
    code_lists: dict | None = None,
    lake: Path | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> ExtractSummary:
    """Load every new file of one extract's landing folder into the raw layer, each file read
    in chunks of about `chunk_bytes` of text (the raw rows into `lake` when one is given:
    pipelines/lake.py)."""
    code_lists = code_lists if code_lists is not None else load_code_lists()
    ensure_raw_schema(con)
    for scratch in scratch_tables(extract):  # left by a load that died part-way through a file
        con.execute(f"drop table if exists {scratch}")
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
    summary.files.extend(load_files(con, paths, extract, code_lists, chunk_bytes, lake))
    return summary
