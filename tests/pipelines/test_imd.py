"""`continuity imd`: File 7 is checked whole before it reaches the warehouse."""

import duckdb
import pytest

from pipelines.imd import (
    DECILE_COLUMN,
    ENGLISH_LSOAS_2011,
    LSOA_COLUMN,
    File7Error,
    convert_file7,
    load_file7,
    read_file7,
)

HEADER = f'"{LSOA_COLUMN}",LSOA name (2011),"{DECILE_COLUMN}"\n'


def file7(tmp_path, rows: list[str]):
    path = tmp_path / "File_7.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def england() -> list[str]:
    """32,844 rows E01000001 .. E01032844, deciles 1..10 in turn (row i has decile i % 10 + 1)."""
    return [f"E01{i:06d},Area {i},{i % 10 + 1}" for i in range(1, ENGLISH_LSOAS_2011 + 1)]


def test_the_whole_of_england_is_accepted_and_sorted(tmp_path):
    rows = england()
    rows.reverse()  # written backwards: the result is sorted by LSOA code
    out = tmp_path / "imd.csv"
    assert convert_file7(file7(tmp_path, rows), out) == 32_844
    lines = out.read_text().splitlines()
    # E01000001 is row 1: 1 % 10 + 1 = 2; E01000010 is row 10: 10 % 10 + 1 = 1
    assert lines[:2] == ["lsoa_code,imd_decile", "E01000001,2"]
    assert lines[10] == "E01000010,1"
    assert len(lines) == 1 + 32_844


def test_it_loads_into_the_warehouse_reference_data(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert load_file7(con, file7(tmp_path, england())) == 32_844
    # deciles 1..10 in turn over 32,844 rows: 3,284 full rounds + 4 rows (deciles 2, 3, 4, 5),
    # so decile 1 (rows 10, 20, ...) has 3,284 LSOAs and decile 2 has 3,285
    counts = dict(con.execute("select imd_decile, count(*) from reference.imd_file7 group by 1").fetchall())
    assert (counts[1], counts[2], sum(counts.values())) == (3_284, 3_285, 32_844)


def test_a_two_row_file_is_refused_with_the_count(tmp_path):
    with pytest.raises(File7Error, match="2 LSOAs, but IoD2019 ranks all 32,844 English LSOAs 2011"):
        read_file7(file7(tmp_path, ["E01000001,City 001A,9", "E01000002,City 001B,10"]))


def test_each_bad_line_is_named_with_its_problem(tmp_path):
    rows = england()
    rows[0] = "W01000001,Cardiff,3"  # line 2 (the header is line 1): a Welsh LSOA
    rows[4] = "E01000005,Area 5,11"  # line 6: decile 11
    rows[6] = "E01000007,Area 7,"  # line 8: no decile
    rows[9] = "E01000002,Area 10,4"  # line 11: E01000002 again (first on line 3)
    with pytest.raises(File7Error) as raised:
        read_file7(file7(tmp_path, rows))
    message = str(raised.value)
    assert "line 2: 'W01000001' is not an English LSOA 2011 code" in message
    assert "line 6: E01000005 has IMD decile '11', not a whole number 1-10" in message
    assert "line 8: E01000007 has IMD decile None, not a whole number 1-10" in message
    assert "lines 3, 11: E01000002 appears 2 times" in message


def test_a_different_csv_is_refused(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(File7Error, match="is not IoD2019 File 7"):
        convert_file7(other, tmp_path / "imd.csv")
