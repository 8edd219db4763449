import pytest

from pipelines.imd import DECILE_COLUMN, LSOA_COLUMN, convert_file7


def test_file7_becomes_the_imd_seed(tmp_path):
    file7 = tmp_path / "file7.csv"
    file7.write_text(
        f'"{LSOA_COLUMN}",LSOA name (2011),"{DECILE_COLUMN}"\nE01000002,City 001B,10\nE01000001,City 001A,9\n'
    )
    out = tmp_path / "imd.csv"
    assert convert_file7(file7, out) == 2
    assert out.read_text() == "lsoa_code,imd_decile\nE01000001,9\nE01000002,10\n"


def test_a_different_csv_is_refused(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="is not IoD2019 File 7"):
        convert_file7(other, tmp_path / "imd.csv")
