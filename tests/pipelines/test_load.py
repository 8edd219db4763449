"""The extract contract at the loader: each bad input gives its exact quarantine row or
rejection, and rows read = rows loaded + rows quarantined."""

from pathlib import Path

import duckdb
import pytest

from pipelines.contract import EXTRACTS_BY_NAME, load_code_lists
from pipelines.load import load_extract
from tests.helpers import case_row, csv_text, intervention_row, secure_row, write_extract


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture(scope="module")
def code_lists():
    return load_code_lists()


def load(con, landing: Path, extract: str, code_lists):
    return load_extract(con, landing, EXTRACTS_BY_NAME[extract], code_lists)


def quarantine(con):
    return con.execute(
        "select source_file, line_number, column_name, reason, raw_line from raw.quarantine order by line_number"
    ).fetchall()


def test_valid_rows_load_with_lineage(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(), secure_row(EPISODID="S2")])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (2, 0)
    rows = con.execute(
        'select "EPISODID", _source_file, _line_number, cast(_extract_date as varchar) from raw.ndtms_secure order by 1'
    ).fetchall()
    assert rows == [
        ("S1", "ndtms_secure/ndtms_secure_20230630.csv", 2, "2023-06-30"),
        ("S2", "ndtms_secure/ndtms_secure_20230630.csv", 3, "2023-06-30"),
    ]


def test_bad_date_is_quarantined_with_file_line_and_reason(con, tmp_path, code_lists):
    write_extract(
        tmp_path, "ndtms_secure", "2023-06-30", [secure_row(), secure_row(EPISODID="S2", PRISEXDT="2023-02-30")]
    )
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert summary.total("rows_loaded") == 1
    [(file, line, column, reason, raw_line)] = quarantine(con)
    assert (file, line, column) == ("ndtms_secure/ndtms_secure_20230630.csv", 3, "PRISEXDT")
    # a person-level date is never shown: the file and line say where it is
    assert reason == "PRISEXDT (value withheld: identifying field) is not a valid date (YYYY-MM-DD)"
    assert raw_line.startswith("S2,PLEI,LEI,PC1,A,B,1990-05-17,1,")


def test_non_iso_date_is_quarantined(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(DOB="17/05/1990")])
    load(con, tmp_path, "ndtms_secure", code_lists)
    # the value of an identifying field never reaches the reason (printed to the terminal and logs)
    assert quarantine(con)[0][2:4] == (
        "DOB",
        "DOB (value withheld: identifying field) is not a valid date (YYYY-MM-DD)",
    )


def test_unknown_code_is_quarantined(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_interventions", "2023-06-30", [intervention_row(MODAL="99")])
    load(con, tmp_path, "ndtms_interventions", code_lists)
    assert quarantine(con)[0][1:4] == (2, "MODAL", "MODAL '99' is not in the code list")


def test_codes_are_case_insensitive_and_trimmed(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(PRISEXRSN=" rel ", FINITIAL=" a", INREACH="y")])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (1, 0)


def test_missing_required_field_is_quarantined(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(AGNCY="  ")])
    load(con, tmp_path, "ndtms_secure", code_lists)
    assert quarantine(con)[0][2:4] == ("AGNCY", "missing required field AGNCY")


def test_every_row_of_a_duplicated_key_is_quarantined(con, tmp_path, code_lists):
    rows = [secure_row(EPISODID="S1"), secure_row(EPISODID=" S1"), secure_row(EPISODID="S3")]
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", rows)
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (1, 2)
    assert [(q[1], q[3]) for q in quarantine(con)] == [
        # the key's value is a record id: never shown; the lines holding it are
        (2, "duplicate key EPISODID: 2 rows in this file, first on line 2; all quarantined"),
        (3, "duplicate key EPISODID: 2 rows in this file, first on line 2; all quarantined"),
    ]


def test_bad_crn_is_quarantined(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndelius_cases", "2023-06-30", [case_row(CRN="12345X"), case_row(CRN="Y654321")])
    summary = load(con, tmp_path, "ndelius_cases", code_lists)
    assert summary.total("rows_loaded") == 1
    assert quarantine(con)[0][1:4] == (2, "CRN", "CRN (value withheld: identifying field) is not a letter and 6 digits")


def test_out_of_range_number_is_quarantined(con, tmp_path, code_lists):
    text = (
        "CONTID,CRN,CONTDT,CONTTYPE,ATTENDED,NEEDMET,WEMWBS\n"
        "K1,X123456,2023-07-01,ERC,Y,,71\n"
        "K2,X123456,2023-07-01,ERC,Y,,40\n"
    )
    write_extract(tmp_path, "er_contacts", "2023-07-31", text=text)
    load(con, tmp_path, "er_contacts", code_lists)
    assert quarantine(con)[0][1:4] == (2, "WEMWBS", "WEMWBS '71' is not an integer from 14 to 70")


def test_utf8_bom_and_quoted_fields_with_commas_are_read(con, tmp_path, code_lists):
    text = csv_text("ndtms_secure", [secure_row(CLIENT="Smith, J")])
    assert '"Smith, J"' in text
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", text=b"\xef\xbb\xbf" + text.encode())
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert summary.total("rows_loaded") == 1
    assert con.execute('select "CLIENT" from raw.ndtms_secure').fetchall() == [("Smith, J",)]


def test_a_file_loaded_twice_changes_nothing(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    load(con, tmp_path, "ndtms_secure", code_lists)
    second = load(con, tmp_path, "ndtms_secure", code_lists)
    assert [f.status for f in second.files] == ["skipped"]
    # an identical copy under another extract date is the same content: skipped too
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row()])
    third = load(con, tmp_path, "ndtms_secure", code_lists)
    assert sorted(f.status for f in third.files) == ["skipped", "skipped"]
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(1,)]


def test_a_later_extract_keeps_both_versions_in_raw(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(PRISEXDT="2023-06-11")])
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row(PRISEXDT="2023-06-01")])
    load(con, tmp_path, "ndtms_secure", code_lists)
    rows = con.execute('select "PRISEXDT", cast(_extract_date as varchar) from raw.ndtms_secure order by 2').fetchall()
    assert rows == [("2023-06-11", "2023-06-30"), ("2023-06-01", "2023-09-30")]


def test_file_missing_a_required_column_is_rejected_whole(con, tmp_path, code_lists):
    header = [c for c in EXTRACTS_BY_NAME["ndtms_secure"].column_names if c != "DOB"]
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()], header=header)
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S9")])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert [(f.source_file, f.status) for f in summary.files] == [
        ("ndtms_secure/ndtms_secure_20230630.csv", "rejected"),
        ("ndtms_secure/ndtms_secure_20230930.csv", "loaded"),
    ]
    assert con.execute("select source_file, reason from raw.rejected_files").fetchall() == [
        ("ndtms_secure/ndtms_secure_20230630.csv", "header lacks required column(s) DOB")
    ]
    assert con.execute('select "EPISODID" from raw.ndtms_secure').fetchall() == [("S9",)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "file contains NUL bytes: not a text CSV"),
        # header 21 bytes + "M1,C1," 6 bytes: the bad byte is at offset 27, on line 2
        (b"MODID,EPISODID,MODAL\n" + b"M1,C1,\xff\xfe\n", "not UTF-8 text (line 2, byte offset 27)"),
        (b"", "file is empty (no header row)"),
        (b"MODID,EPISODID,MODAL\nM1,C1,01,extra\n", "line 2: 4 fields where the header has 3"),
    ],
)
def test_unreadable_files_are_rejected_with_the_reason(con, tmp_path, code_lists, content, reason):
    write_extract(tmp_path, "ndtms_interventions", "2023-06-30", text=content)
    summary = load(con, tmp_path, "ndtms_interventions", code_lists)
    assert [(f.status, f.reason) for f in summary.files] == [("rejected", reason)]
    assert con.execute("select count(*) from raw.ndtms_interventions").fetchall() == [(0,)]


def test_badly_named_file_is_rejected(con, tmp_path, code_lists):
    folder = tmp_path / "ndtms_secure"
    folder.mkdir()
    (folder / "secure_latest.csv").write_text(csv_text("ndtms_secure", [secure_row()]))
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert summary.files[0].reason == "file name does not match ndtms_secure_<YYYYMMDD>.csv"


def test_extra_columns_are_a_warning_not_an_error(con, tmp_path, code_lists):
    header = EXTRACTS_BY_NAME["ndtms_interventions"].column_names + ["NOTES"]
    write_extract(tmp_path, "ndtms_interventions", "2023-06-30", [{**intervention_row(), "NOTES": "x"}], header=header)
    summary = load(con, tmp_path, "ndtms_interventions", code_lists)
    assert summary.files[0].warnings == ["extra column(s) ignored: NOTES"]
    assert summary.total("rows_loaded") == 1


def test_missing_folder_means_no_rows(con, tmp_path, code_lists):
    summary = load(con, tmp_path, "er_contacts", code_lists)
    assert summary.line() == "er_contacts: no landing folder, no rows"
    assert con.execute("select count(*) from raw.er_contacts").fetchall() == [(0,)]


def test_rows_read_equal_rows_loaded_plus_quarantined(con, tmp_path, code_lists):
    rows = [secure_row(EPISODID=f"S{i}") for i in range(10)]
    rows[3]["DOB"] = "x"
    rows[5]["DISRSN"] = "00"
    rows[7]["EPISODID"] = "S8"
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", rows)
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    # 10 lines: line of S3 (bad DOB), S5 (bad code), and both S8 rows -> 4 quarantined, 6 loaded
    assert (summary.total("rows_read"), summary.total("rows_loaded"), summary.total("rows_quarantined")) == (10, 6, 4)


# ---- one normalisation, rejected files not "seen", unreadable files, plausibility


def test_raw_holds_values_normalised_by_the_one_contract_rule(con, tmp_path, code_lists):
    # tab, no-break space and spaces around values; lower-case codes and initials
    row = secure_row(EPISODID="S1\t", FINITIAL="\u00a0a", PRISEXRSN="REL\t", ESTAB=" lei", DISRSN="83 ", CLIENT="pc1")
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [row])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert summary.total("rows_loaded") == 1
    # EPISODID and CLIENT are trimmed but keep their case (ids); codes and initials upper-cased
    assert con.execute(
        'select "EPISODID", "FINITIAL", "PRISEXRSN", "ESTAB", "CLIENT" from raw.ndtms_secure'
    ).fetchall() == [("S1", "A", "REL", "LEI", "pc1")]


def test_a_quarantined_line_is_kept_as_written(con, tmp_path, code_lists):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(PRISEXRSN="rel\t", DISRSN="00")])
    load(con, tmp_path, "ndtms_secure", code_lists)
    [(_, _, column, reason, raw_line)] = quarantine(con)
    assert (column, reason) == ("DISRSN", "DISRSN '00' is not in the code list")
    assert ",rel\t," in raw_line


def test_case_variant_crns_in_one_file_are_one_key(con, tmp_path, code_lists):
    # z900002 and Z900002 are the same CRN (codes and CRNs are case-insensitive): a duplicate
    # key within one file, so both lines are quarantined (extracts.md)
    write_extract(tmp_path, "ndelius_cases", "2023-06-30", [case_row(CRN="z900002"), case_row(CRN="Z900002")])
    summary = load(con, tmp_path, "ndelius_cases", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (0, 2)
    reasons = {r[3] for r in quarantine(con)}
    assert len(reasons) == 1 and reasons.pop().startswith("duplicate key CRN")
    assert {r[4].split(",")[0] for r in quarantine(con)} == {"z900002", "Z900002"}  # the lines as written


def test_a_file_rejected_for_its_name_loads_once_renamed(con, tmp_path, code_lists):
    bad = write_extract(tmp_path, "ndtms_secure", "2026-04-1", [secure_row()])  # ndtms_secure_2026041.csv
    first = load(con, tmp_path, "ndtms_secure", code_lists)
    assert [f.status for f in first.files] == ["rejected"]
    bad.rename(bad.with_name("ndtms_secure_20260401.csv"))  # the same bytes, correctly named
    second = load(con, tmp_path, "ndtms_secure", code_lists)
    assert [(f.status, f.rows_loaded) for f in second.files] == [("loaded", 1)]
    assert con.execute('select "EPISODID" from raw.ndtms_secure').fetchall() == [("S1",)]


def test_a_file_over_the_size_limit_loads_once_the_limit_is_raised(con, tmp_path, code_lists, monkeypatch):
    # the limit is read when a file is read, not when the loader is imported
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    monkeypatch.setenv("CONTINUITY_MAX_FILE_BYTES", "10")
    assert [f.status for f in load(con, tmp_path, "ndtms_secure", code_lists).files] == ["rejected"]
    monkeypatch.setenv("CONTINUITY_MAX_FILE_BYTES", str(1024**3))
    assert [f.status for f in load(con, tmp_path, "ndtms_secure", code_lists).files] == ["loaded"]
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(1,)]


def test_a_file_with_cr_only_line_endings_is_rejected_and_the_next_file_loads(con, tmp_path, code_lists):
    text = csv_text("ndtms_secure", [secure_row()]).replace("\n", "\r")
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", text=text.encode())
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S2")])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert [(f.status, f.reason) for f in summary.files] == [
        (
            "rejected",
            "lines end in CR only (old Mac format), so the file reads as one line: "
            "save it with LF or CRLF line endings",
        ),
        ("loaded", ""),
    ]


def test_a_file_the_user_cannot_read_is_rejected_and_the_next_file_loads(con, tmp_path, code_lists, monkeypatch):
    # Tests run as root, whom chmod 000 does not stop: the PermissionError open() raises for
    # an unreadable file is simulated for this one file instead.
    blocked = write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    write_extract(tmp_path, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="S2")])
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if Path(file) == blocked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    monkeypatch.undo()
    assert [(f.status, f.reason) for f in summary.files] == [
        ("rejected", "permission denied: the pipeline's user cannot read the file (check its owner and mode)"),
        ("loaded", ""),
    ]
    assert con.execute("select source_file, reason from raw.rejected_files").fetchall() == [
        ("ndtms_secure/ndtms_secure_20230630.csv", summary.files[0].reason)
    ]


@pytest.mark.parametrize(
    ("dob", "reason"),
    [
        # extract date 2023-06-30: plausible DOBs are 1903-06-30 (age 120) to 2013-06-30 (age 10)
        ("0001-01-01", "DOB is not a plausible date of birth"),
        ("1903-06-29", "DOB is not a plausible date of birth"),
        ("2013-07-01", "DOB is not a plausible date of birth"),
    ],
)
def test_an_implausible_date_of_birth_is_quarantined(con, tmp_path, code_lists, dob, reason):
    write_extract(
        tmp_path, "ndtms_secure", "2023-06-30", [secure_row(DOB=dob), secure_row(EPISODID="S2", DOB="1903-06-30")]
    )
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (1, 1)
    [(_, line, column, got, _)] = quarantine(con)
    assert (line, column) == (2, "DOB")
    assert got == (f"{reason} (age 10 to 120 on the extract date 2023-06-30: born 1903-06-30 to 2013-06-30)")


def test_an_unknown_prison_is_quarantined(con, tmp_path, code_lists):
    # XXX is not an estab_code of seeds/prisons.csv; LEI is
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(ESTAB="XXX"), secure_row(EPISODID="S2")])
    summary = load(con, tmp_path, "ndtms_secure", code_lists)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (1, 1)
    assert [(r[2], r[3]) for r in quarantine(con)] == [("ESTAB", "ESTAB 'XXX' is not in the code list")]


def test_a_failed_load_reports_its_cause_not_the_failed_rollback(tmp_path, code_lists):
    # a full disk: the insert fails and DuckDB has already ended the transaction, so the
    # rollback fails too; the error raised must be the disk's, not "no transaction is active"
    real = duckdb.connect()

    class FullDisk:
        def __getattr__(self, name):
            return getattr(real, name)

        def execute(self, sql, *args):
            if sql.startswith("insert into raw.ndtms_secure"):
                raise duckdb.IOException('Could not write file "c.duckdb.wal": No space left on device')
            if sql == "rollback":
                raise duckdb.TransactionException("cannot rollback - no transaction is active")
            return real.execute(sql, *args)

    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    with pytest.raises(duckdb.IOException, match="No space left on device"):
        load_extract(FullDisk(), tmp_path, EXTRACTS_BY_NAME["ndtms_secure"], code_lists)
    real.close()


def test_a_file_larger_than_a_chunk_loads_as_one_file_read_in_chunks(con, tmp_path, code_lists):
    # 40 episodes, S1..S40 on lines 2..41, then line 42 repeats S5 (the key, with a space the
    # contract trims) and line 43 holds S41 with an impossible date. At 300 bytes a chunk (a
    # data line is 121 bytes: two or three lines a chunk), the file (5,286 bytes) is read in 18
    # chunks, and the repeat of line 6's key is 14 chunks after it.
    rows = [secure_row(EPISODID=f"S{i}") for i in range(1, 41)]
    rows += [secure_row(EPISODID=" S5"), secure_row(EPISODID="S41", PRISEXDT="2023-02-30")]
    path = write_extract(tmp_path, "ndtms_secure", "2023-06-30", rows)
    assert path.stat().st_size == 5286
    summary = load_extract(con, tmp_path, EXTRACTS_BY_NAME["ndtms_secure"], code_lists, chunk_bytes=300)
    # 42 lines read = 39 loaded (40 + S41 - the two S5 lines - S41) + 3 quarantined
    [result] = summary.files
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 42, 39, 3)
    assert [(q[1], q[2], q[3]) for q in quarantine(con)] == [
        (6, "EPISODID", "duplicate key EPISODID: 2 rows in this file, first on line 6; all quarantined"),
        (42, "EPISODID", "duplicate key EPISODID: 2 rows in this file, first on line 6; all quarantined"),
        (43, "PRISEXDT", "PRISEXDT (value withheld: identifying field) is not a valid date (YYYY-MM-DD)"),
    ]
    # every loaded row keeps its own line; the scratch tables of a file read in chunks are gone
    assert con.execute(
        'select count(*), min(_line_number), max(_line_number), count(distinct "EPISODID") from raw.ndtms_secure'
    ).fetchall() == [(39, 2, 41, 39)]
    assert con.execute(
        'select count(*) from raw.ndtms_secure where _line_number != cast(substr("EPISODID", 2) as int) + 1'
    ).fetchall() == [(0,)]
    assert con.execute("select rows_read, rows_loaded, rows_quarantined from raw.loaded_files").fetchall() == [
        (42, 39, 3)
    ]
    assert (
        con.execute("select table_name from duckdb_tables() where table_name like '\\_loading%' escape '\\'").fetchall()
        == []
    )


def test_a_file_that_fails_part_way_through_its_chunks_loads_nothing(con, tmp_path, code_lists):
    # line 30 of 41 has more fields than the header: the chunks before it were written to the
    # scratch tables, but raw, the quarantine and the loaded files hold nothing of the file
    text = csv_text("ndtms_secure", [secure_row(EPISODID=f"S{i}") for i in range(1, 41)])
    lines = text.splitlines(keepends=True)
    lines[29] = lines[29].rstrip("\n") + ",extra\n"
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", text="".join(lines))
    summary = load_extract(con, tmp_path, EXTRACTS_BY_NAME["ndtms_secure"], code_lists, chunk_bytes=300)
    assert [(f.status, f.reason) for f in summary.files] == [
        (
            "rejected",
            f"line 30: {len(EXTRACTS_BY_NAME['ndtms_secure'].columns) + 1} fields where the header has "
            f"{len(EXTRACTS_BY_NAME['ndtms_secure'].columns)}",
        )
    ]
    assert con.execute(
        "select (select count(*) from raw.ndtms_secure), (select count(*) from raw.quarantine), "
        "(select count(*) from raw.loaded_files)"
    ).fetchall() == [(0, 0, 0)]
