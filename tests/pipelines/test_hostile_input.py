"""Hostile landing input: each case refused or handled with a clear message, memory bounded,
nothing outside the landing folder read, and nothing lost (read = loaded + quarantined)."""

import os
import resource

import duckdb
import pytest

from pipelines.contract import EXTRACTS_BY_NAME, load_code_lists
from pipelines.load import load_extract
from tests.helpers import csv_text, secure_row, write_extract

SECURE = EXTRACTS_BY_NAME["ndtms_secure"]


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def load(con, landing):
    return load_extract(con, landing, SECURE, load_code_lists())


def test_a_2_gb_file_is_refused_before_it_is_read(con, tmp_path):
    path = write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    with open(path, "r+b") as f:
        f.truncate(2 * 1024**3)  # sparse: 2 GiB on paper, no disk or memory used
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = load(con, tmp_path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    [result] = summary.files
    assert result.status == "rejected"
    assert result.reason == (
        "file is 2,147,483,648 bytes, over the 1,073,741,824-byte limit "
        "(CONTINUITY_MAX_FILE_BYTES): split it into smaller extracts"
    )
    assert grown_mb < 100  # the file was never read into memory


def test_a_one_megabyte_field_is_loaded_whole(con, tmp_path):
    big = "x" * 1024 * 1024
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(CLIENT=big), secure_row(EPISODID="S2")])
    summary = load(con, tmp_path)
    assert (summary.total("rows_loaded"), summary.total("rows_quarantined")) == (2, 0)
    assert con.execute('select length("CLIENT") from raw.ndtms_secure where "EPISODID" = \'S1\'').fetchall() == [
        (1024 * 1024,)
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (os.urandom(4096).replace(b"\x00", b"\x01") + b"\x00", "file contains NUL bytes: not a text CSV"),
        (
            csv_text("ndtms_secure", [secure_row()]).encode().replace(b"LEI", b"LE\x00I"),
            "file contains NUL bytes: not a text CSV",
        ),
        (bytes(range(128, 256)) * 8, "not UTF-8 text (line 1, byte offset 0)"),
    ],
)
def test_binary_garbage_and_embedded_nuls_are_refused(con, tmp_path, content, reason):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", text=content)
    assert [(f.status, f.reason) for f in load(con, tmp_path).files] == [("rejected", reason)]
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(0,)]


@pytest.mark.parametrize(
    "name",
    [
        "ndtms_secure_20230630 (1).csv",
        "ndtms_secure_2023063O.csv",
        "ndtms_secure_20230630.csv.bak",
        "..ndtms_secure_20230630.csv\n.csv",
        "ndtms_secure_20231340.csv",
        "ndtms_secure_20230630é.csv",
    ],
)
def test_odd_file_names_are_refused_with_the_reason(con, tmp_path, name):
    folder = tmp_path / "ndtms_secure"
    folder.mkdir()
    (folder / name).write_text(csv_text("ndtms_secure", [secure_row()]))
    summary = load(con, tmp_path)
    if name.startswith("."):
        assert summary.files == []  # hidden files (.DS_Store and the like) are not landing files
    else:
        [result] = summary.files
        assert result.status == "rejected"
        assert (
            "file name does not match ndtms_secure_<YYYYMMDD>.csv" in result.reason
            or "not a valid date" in result.reason
        )
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(0,)]


def test_a_symlinked_file_is_not_followed(con, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text(csv_text("ndtms_secure", [secure_row(CLIENT="SECRET")]))
    landing = tmp_path / "landing"
    (landing / "ndtms_secure").mkdir(parents=True)
    (landing / "ndtms_secure" / "ndtms_secure_20230630.csv").symlink_to(outside)
    [result] = load(con, landing).files
    assert (result.status, result.reason) == ("rejected", "not a regular file (links and folders are not read)")
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(0,)]


def test_a_folder_linking_out_of_the_landing_folder_is_not_read(con, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write_extract(elsewhere, "ndtms_secure", "2023-06-30", [secure_row(CLIENT="SECRET")])
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "ndtms_secure").symlink_to(elsewhere / "ndtms_secure")
    [result] = load(con, landing).files
    assert (result.status, result.reason) == ("rejected", "ndtms_secure/ is a link out of the landing folder: not read")
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(0,)]
