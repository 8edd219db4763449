"""`continuity withdraw`: a loaded file's rows leave raw (and so staging and every mart from
the next run), the withdrawal is recorded, the loader skips the file while it stands, and
after --undo the same file loads again."""

import duckdb
import pytest

from pipelines.contract import EXTRACTS_BY_NAME, load_code_lists
from pipelines.load import load_extract
from pipelines.withdraw import WithdrawError, undo, withdraw
from tests.helpers import secure_row, write_extract


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def load(con, landing):
    return load_extract(con, landing, EXTRACTS_BY_NAME["ndtms_secure"], load_code_lists())


def test_withdraw_removes_the_files_rows_and_records_who_why_when(con, tmp_path):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row(PRISEXDT="2023-06-11")])
    # the later file corrects S1 and adds S2 (bad: DISRSN 00 is quarantined)
    later = write_extract(
        tmp_path,
        "ndtms_secure",
        "2023-09-30",
        [secure_row(PRISEXDT="2023-06-01"), secure_row(EPISODID="S2", DISRSN="00")],
    )
    load(con, tmp_path)
    done = withdraw(con, "ndtms_secure_20230930.csv", "sent by mistake", "analyst")
    assert (done.source_file, done.rows) == ("ndtms_secure/ndtms_secure_20230930.csv", 1)
    # only the first file's version of S1 is left; its quarantined line is gone too
    assert con.execute('select "EPISODID", "PRISEXDT" from raw.ndtms_secure').fetchall() == [("S1", "2023-06-11")]
    assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]
    assert con.execute("select source_file from raw.loaded_files").fetchall() == [
        ("ndtms_secure/ndtms_secure_20230630.csv",)
    ]
    [(file, rows, why, who, when)] = con.execute(
        "select source_file, rows_withdrawn, reason, withdrawn_by, withdrawn_at from raw.withdrawn_files"
    ).fetchall()
    assert (file, rows, why, who) == ("ndtms_secure/ndtms_secure_20230930.csv", 1, "sent by mistake", "analyst")
    assert when is not None
    # the file is still in the landing folder: the next load skips it
    again = load(con, tmp_path)
    assert sorted(f.status for f in again.files) == ["skipped", "withdrawn"]
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(1,)]
    # undo: the same file loads again (by path, matched by content)
    undo(con, str(later), "it was right after all", "analyst")
    third = load(con, tmp_path)
    assert sorted((f.status, f.rows_loaded) for f in third.files) == [("loaded", 1), ("skipped", 0)]
    assert con.execute("select count(*) from raw.ndtms_secure").fetchall() == [(2,)]


def test_withdrawing_an_unknown_file_or_without_a_reason_says_why(con, tmp_path):
    write_extract(tmp_path, "ndtms_secure", "2023-06-30", [secure_row()])
    load(con, tmp_path)
    with pytest.raises(WithdrawError, match="ndtms_secure_20990101.csv is not a loaded file"):
        withdraw(con, "ndtms_secure_20990101.csv", "x", "analyst")
    with pytest.raises(WithdrawError, match="say why"):
        withdraw(con, "ndtms_secure_20230630.csv", " ", "analyst")
