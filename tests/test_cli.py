"""The CLI's own behaviour: arguments, the pseudonymisation-key rule, readable errors."""

import pytest

from dagster_project.cli import main
from tests.helpers import secure_row, write_extract


def test_refuses_real_data_without_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CONTINUITY_PSEUDO_KEY", raising=False)
    write_extract(tmp_path / "landing", "ndtms_secure", "2023-06-30", [secure_row()])
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("continuity: error: CONTINUITY_PSEUDO_KEY is not set")
    assert "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_landing_folder_is_one_readable_line(tmp_path, capsys):
    code = main(["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [f"continuity: error: landing folder {tmp_path / 'nope'} does not exist"]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "generate" in out
