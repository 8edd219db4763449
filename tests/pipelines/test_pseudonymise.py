"""Keys (issue 33): no key in the code; a keyless warehouse makes its own and keeps it; the old
development key and short keys are refused; the "synthetic" label follows the data."""

import stat

import duckdb
import pytest

from dagster_project.cli import main
from pipelines.contract import EXTRACTS_BY_NAME
from pipelines.load import load_extract
from pipelines.pseudonymise import KeyRefused, checked, person_key, secret_key
from pipelines.settings import Settings
from pipelines.synthetic import is_synthetic, write_marker
from tests.helpers import secure_row, write_extract

OLD_DEVELOPMENT_KEY = "continuity-development-key-synthetic-data-only"  # published in earlier versions


def _settings(warehouse, key=None) -> Settings:
    return Settings.from_env({}, warehouse=str(warehouse), pseudo_key=key)


def test_a_keyless_warehouse_makes_its_own_key_once_and_reuses_it(tmp_path):
    first = _settings(tmp_path / "a" / "continuity.duckdb")
    assert secret_key(first, create=False) is None  # nothing made before the first run
    key = secret_key(first)
    path = tmp_path / "a" / "continuity.duckdb.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the owner's alone
    assert len(key) == 64 and int(key, 16) >= 0  # 256 bits as 64 hexadecimal characters
    # a later run on the same warehouse: the same key, so the same person keys
    again = secret_key(_settings(tmp_path / "a" / "continuity.duckdb"))
    assert person_key("A|B|1990-05-17|1", again) == person_key("A|B|1990-05-17|1", key)
    # another warehouse: another key, so other person keys for the same person
    other = secret_key(_settings(tmp_path / "b" / "continuity.duckdb"))
    assert person_key("A|B|1990-05-17|1", other) != person_key("A|B|1990-05-17|1", key)


def test_a_configured_key_is_used_and_no_file_is_made(tmp_path):
    settings = _settings(tmp_path / "c.duckdb", "k" * 32)
    assert secret_key(settings) == b"k" * 32
    assert not settings.key_file.exists()
    assert "k" * 32 not in repr(settings)  # never printed with the settings


@pytest.mark.parametrize("key", [OLD_DEVELOPMENT_KEY, f"  {OLD_DEVELOPMENT_KEY}\n"])
def test_the_old_development_key_is_refused_when_given(tmp_path, key):
    with pytest.raises(KeyRefused, match="public development key"):
        checked(key)
    with pytest.raises(KeyRefused):
        secret_key(_settings(tmp_path / "c.duckdb", key))


def test_the_cli_refuses_the_old_development_key_before_it_reads_anything(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONTINUITY_PSEUDO_KEY", OLD_DEVELOPMENT_KEY)
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1 and "CONTINUITY_PSEUDO_KEY is the public development key" in err
    assert OLD_DEVELOPMENT_KEY not in err  # the refusal never repeats a key
    assert not (tmp_path / "w.duckdb").exists()


def _loaded(tmp_path, landing, name="w.duckdb"):
    con = duckdb.connect(str(tmp_path / name))
    load_extract(con, landing, EXTRACTS_BY_NAME["ndtms_secure"])
    return con


def test_generated_data_is_labelled_synthetic_whatever_the_key_and_one_foreign_file_removes_it(tmp_path):
    landing = tmp_path / "landing"
    write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row(EPISODID="SYN1")])
    write_marker(landing, {"generator": "continuity generate"})
    con = _loaded(tmp_path, landing)
    assert is_synthetic(con, landing)  # the key plays no part: nothing here reads one
    write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="REAL1")])  # not the generator's
    load_extract(con, landing, EXTRACTS_BY_NAME["ndtms_secure"])
    assert not is_synthetic(con, landing)
    con.close()


def test_a_withdrawn_foreign_file_still_removes_the_label(tmp_path):
    from pipelines.withdraw import withdraw

    landing = tmp_path / "landing"
    write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row(EPISODID="REAL1")])
    con = _loaded(tmp_path, landing)
    withdraw(con, "ndtms_secure/ndtms_secure_20230630.csv", "loaded by mistake", "tester")
    write_extract(landing, "ndtms_secure", "2023-09-30", [secure_row(EPISODID="SYN1")])
    (landing / "ndtms_secure" / "ndtms_secure_20230630.csv").unlink()
    write_marker(landing, {"generator": "continuity generate"})  # lists only the generated file
    load_extract(con, landing, EXTRACTS_BY_NAME["ndtms_secure"])
    assert not is_synthetic(con, landing)  # the warehouse once held a file the generator did not write
    con.close()


def test_an_empty_warehouse_or_an_empty_marker_is_not_synthetic(tmp_path):
    landing = tmp_path / "landing"
    write_extract(landing, "ndtms_secure", "2023-06-30", [secure_row()])
    (landing / "SYNTHETIC.json").write_text("{}")
    con = _loaded(tmp_path, landing)
    assert not is_synthetic(con, landing)
    con.close()
